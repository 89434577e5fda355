"""/reserve/ — namespace "reserve": the residents' booking pages."""

from django.urls import path

from reservations import views_code as va
from reservations import views_public as v

urlpatterns = [
    path("", v.index, name="index"),
    path("counters/<int:counter_id>/", v.calendar, name="calendar"),
    path("slots/<int:slot_id>/book/", v.book, name="book"),
    path("done/<int:number>/", v.done, name="done"),
    path("lookup/", v.lookup, name="lookup"),
    path("code/", va.code_entry, name="code_entry"),
    path("code/<str:code>/", va.code_entry, name="code"),
    path("r/<int:number>/", v.detail, name="detail"),
    path("r/<int:number>/change/", v.change, name="change"),
    path("r/<int:number>/cancel/", v.cancel, name="cancel"),
    path("account/", v.account, name="account"),
    path("account/login/", v.login_view, name="login"),
    path("account/logout/", v.logout_view, name="logout"),
    path("account/signup/", v.signup, name="signup"),
    path("account/password-reset/", v.password_reset, name="password_reset"),
    path("account/password-reset/sent/", v.password_reset_done, name="password_reset_done"),
    path("account/password-reset/<uidb64>/<token>/", v.password_reset_confirm, name="password_reset_confirm"),
    path("account/password-reset/complete/", v.password_reset_complete, name="password_reset_complete"),
]
