"""The admins' view of their organization's chain, with filters."""
import datetime

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render

from auditlog.models import AuditEntry
from tenants import permissions as perms
from tenants.access import member_required, require_perm
from tenants.models import Membership, User

PAGE_SIZE = 50
ACTION_CHOICES = [
    ("", "Any action"),
    ("auth.login_succeeded", "Sign-in"),
    ("auth.login_failed", "Failed sign-in"),
    ("surrogate.viewed", "Full record viewed"),
    ("surrogate.stage_changed", "Stage regression approved"),
    ("surrogate.stage_regression_rejected", "Stage regression rejected"),
    ("matching.approval_decided", "Matching approval decided"),
    ("membership.saved", "Membership / role saved"),
    ("membership.deactivated", "Membership deactivated"),
    ("admin.changed", "Admin: changed"),
    ("admin.created", "Admin: created"),
    ("admin.deleted", "Admin: deleted"),
    ("surrogate.import_started", "Import started"),
    ("surrogate.exported", "Export"),
]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False, choices=ACTION_CHOICES)
    actor = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", "Anyone")] + [(m.user_id, m.user.display_name) for m in members]


@member_required
def audit_list(request):
    require_perm(request, perms.VIEW_AUDIT_LOG)
    organization = request.organization
    members = list(Membership.objects.filter(organization_id=organization.pk).select_related("user").order_by("user__email"))
    form = AuditFilterForm(request.GET, members=members)
    queryset = AuditEntry.objects.filter(organization_id=organization.pk)
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            queryset = queryset.filter(action=data["action"])
        if data["actor"]:
            queryset = queryset.filter(actor_id=data["actor"])
        tz = organization.tzinfo
        if data["since"]:
            queryset = queryset.filter(created_at__gte=datetime.datetime.combine(data["since"], datetime.time(0), tzinfo=tz))
        if data["until"]:
            end = datetime.datetime.combine(data["until"] + datetime.timedelta(days=1), datetime.time(0), tzinfo=tz)
            queryset = queryset.filter(created_at__lt=end)
    page = Paginator(queryset.order_by("-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    actor_ids = {e.actor_id for e in entries if e.actor_id}
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=actor_ids)} if actor_ids else {}
    rows = [(entry, names.get(entry.actor_id, "System" if entry.actor_id is None else f"user #{entry.actor_id}")) for entry in entries]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "auditlog/list.html",
        {"form": form, "page": page, "rows": rows, "querystring": params.urlencode()},
    )
