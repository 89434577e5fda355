"""Demo data for `make run`: one campaign with two denominations, departments, and a staff user of every role
with a TOTP device. Idempotent: running it again changes nothing and prints the same logins."""

from __future__ import annotations

import base64
import importlib
from datetime import date

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign import roles
from campaign.models import Campaign, Denomination, Department

DEMO_PASSWORD = "demo-pass-2026"

STAFF = [
    ("admin", roles.SYSTEM_ADMIN, "管理", "太郎"),
    ("manager", roles.SECRETARIAT_MANAGER, "責任", "花子"),
    ("clerk", roles.SECRETARIAT_CLERK, "事務", "一郎"),
    ("settlement", roles.SETTLEMENT_CLERK, "精算", "次郎"),
    ("supervisor", roles.CALLCENTER_SUPERVISOR, "監督", "三郎"),
    ("operator", roles.OPERATOR, "応対", "桜"),
    ("counter", roles.COUNTER_STAFF, "窓口", "四郎"),
    ("auditor", roles.AUDITOR, "監査", "五郎"),
]

DEPARTMENTS = [
    ("general", "総務・企画課"),
    ("vouchers", "食事券管理課"),
    ("merchants", "加盟店担当"),
    ("settlement", "精算センター"),
    ("callcenter", "コールセンター"),
    ("counters", "窓口担当"),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins with their TOTP secrets."

    @transaction.atomic
    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        campaign, _ = Campaign.objects.get_or_create(
            code="DEMO2026",
            defaults=dict(
                name="とっとりプレミアム食事券2026（デモ）", prefecture="31", serial_prefix=31,
                sales_start=date(2026, 10, 1), sales_end=date(2027, 1, 31),
                usage_start=date(2026, 10, 1), usage_end=date(2027, 3, 31),
                settlement_deadline=date(2027, 4, 30),
            ),
        )
        for code, name, face, tickets, price in [
            (1, "1,000円券（13枚綴り）", 1000, 13, 10000),
            (2, "500円券（12枚綴り）", 500, 12, 5000),
        ]:
            Denomination.objects.get_or_create(
                campaign=campaign, code=code,
                defaults=dict(name=name, face_value=face, tickets_per_book=tickets, sale_price_per_book=price),
            )
        for code, name in DEPARTMENTS:
            Department.objects.get_or_create(code=code, defaults={"name": name})

        User = get_user_model()
        rows = []
        for username, role, last, first in STAFF:
            user, created = User.objects.get_or_create(
                username=username,
                defaults=dict(last_name=last, first_name=first, email=f"{username}@demo.example.jp", is_staff=True,
                              is_superuser=role == roles.SYSTEM_ADMIN),
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
            secret = base64.b32encode(device.bin_key).decode()
            rows.append((username, str(roles.ROLE_LABELS[role]), secret))

        # Each domain app may add its own demo data (apps/<app>/demo.py with seed(campaign=, users=, stdout=));
        # looked up by name so that this core app imports no domain app.
        users = {username: User.objects.get(username=username) for username, *_rest in STAFF}
        for app_config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{app_config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app_config.name}.demo":
                    raise
                continue
            module.seed(campaign=campaign, users=users, stdout=self.stdout)

        self.stdout.write(self.style.SUCCESS(f"Demo campaign: {campaign.name} ({campaign.code})"))
        self.stdout.write(f"Staff logins (password for all: {DEMO_PASSWORD}); add the TOTP secret to an "
                          "authenticator app, or print the current code with `manage.py totp_code USERNAME`:")
        width = max(len(r[0]) for r in rows)
        for username, label, secret in rows:
            self.stdout.write(f"  {username.ljust(width)}  TOTP {secret}  {label}")
