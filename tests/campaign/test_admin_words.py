"""The admin site names the signed-in person like every other page: family name first, not "ようこそ 太郎."."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_greets_by_family_and_given_name(staff_client, alice):
    alice.last_name, alice.first_name = "管理", "太郎"
    alice.save(update_fields=["last_name", "first_name"])
    page = staff_client(alice).get("/admin/").content.decode()
    assert "管理 太郎 さんがログイン中" in page
    assert "ようこそ" not in page
