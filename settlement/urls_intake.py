"""/staff/settlement/intake/ — namespace "intake": envelopes from receipt to reconciliation, investigations, disposal."""

from django.urls import path, register_converter

from settlement import views_intake as views


class EnvelopeNumber:
    regex = "[0-9]{12}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(EnvelopeNumber, "envelope")

urlpatterns = [
    path("", views.home, name="home"),
    path("find/", views.find, name="find"),
    path("claim/", views.claim, name="claim"),
    path("review/", views.review_list, name="review"),
    path("investigations/", views.investigation_list, name="investigations"),
    path("investigations/<int:pk>/", views.investigation_detail, name="investigation"),
    path("disposals/", views.disposal_list, name="disposals"),
    path("<envelope:number>/", views.envelope_detail, name="envelope"),
    path("<envelope:number>/slip.pdf", views.envelope_slip, name="slip"),
    path("<envelope:number>/receive/", views.envelope_receive, name="receive"),
    path("<envelope:number>/upload/", views.envelope_upload, name="upload"),
    path("<envelope:number>/upload/accept/", views.envelope_upload_accept, name="upload_accept"),
    path("<envelope:number>/key/", views.envelope_key, name="key"),
    path("<envelope:number>/reconcile/", views.envelope_reconcile, name="reconcile"),
    path("<envelope:number>/release/", views.envelope_release, name="release"),
]
