"""Org admins' /admin/ pages for the pipeline and surrogate records.

Surrogate records and everything hanging off them (stage, archive, approvals, notes, tasks)
change only through the coordinator pages, whose services enforce the rules and write the
activity log: here they are view-only, never deleted. Stages (the pipeline) are configured here,
and OrgScopedAdmin audits each change. Encrypted PII (email, phone, date of birth) never appears
in admin forms or lists.
"""
from django.contrib import admin

from surrogates.models import Note, Queue, QueueMember, Stage, StatusChangeRequest, Surrogate, Task
from tenants.admin_scoping import OrgScopedAdmin
from tenants.audit import audit_record
from tenants.admin_site import admin_site


class ReadOnlyOrgScopedAdmin(OrgScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Stage, site=admin_site)
class StageAdmin(OrgScopedAdmin):
    list_display = ["label", "key", "order", "stage_type", "is_active"]
    list_filter = ["stage_type", "is_active"]
    search_fields = ["label", "key"]
    ordering = ["order"]
    fields = ["key", "label", "order", "stage_type", "is_active"]


@admin.register(Surrogate, site=admin_site)
class SurrogateAdmin(ReadOnlyOrgScopedAdmin):
    list_display = ["number_display", "full_name", "stage", "owner", "archived_at"]
    list_select_related = ["stage", "owner"]
    list_filter = ["stage", "source", "priority"]
    search_fields = ["full_name"]
    ordering = ["-number"]
    # No email, phone or date of birth: they are encrypted PII, edited only on the coordinator pages.
    fields = [
        "number_display",
        "full_name",
        "source",
        "priority",
        "owner",
        "stage",
        "stage_changed_at",
        "archived_at",
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="Number", ordering="number")
    def number_display(self, obj):
        return obj.surrogate_number


@admin.register(StatusChangeRequest, site=admin_site)
class StatusChangeRequestAdmin(ReadOnlyOrgScopedAdmin):
    list_display = ["surrogate", "from_stage", "to_stage", "state", "requested_by", "requested_at", "decided_by"]
    list_select_related = ["surrogate", "from_stage", "to_stage", "requested_by", "decided_by"]
    list_filter = ["state"]
    search_fields = ["surrogate__full_name"]
    fields = [
        "surrogate",
        "from_stage",
        "to_stage",
        "effective_at",
        "reason",
        "state",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    readonly_fields = fields


@admin.register(Note, site=admin_site)
class NoteAdmin(ReadOnlyOrgScopedAdmin):
    list_display = ["surrogate", "author", "created_at"]
    list_select_related = ["surrogate", "author"]
    search_fields = ["surrogate__full_name"]
    # body_html is shown escaped here; it is sanitised by the service that wrote it.
    fields = ["surrogate", "author", "body_html", "created_at"]
    readonly_fields = fields


@admin.register(Task, site=admin_site)
class TaskAdmin(ReadOnlyOrgScopedAdmin):
    list_display = ["title", "surrogate", "due_date", "completed_at"]
    list_select_related = ["surrogate"]
    list_filter = ["completed_at"]
    search_fields = ["title", "surrogate__full_name"]
    fields = ["surrogate", "title", "due_date", "completed_at", "created_by", "created_at"]
    readonly_fields = fields


class QueueMemberInline(admin.TabularInline):
    model = QueueMember
    extra = 1
    fields = ["user"]
    verbose_name = "member (nobody: anyone with the claim permission may claim)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from tenants.models import Membership, User

        if db_field.name == "user" and request.organization is not None:
            kwargs["queryset"] = User.objects.filter(pk__in=Membership.objects.filter(is_active=True).values("user_id"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Queue, site=admin_site)
class QueueAdmin(OrgScopedAdmin):
    """Queues and their members. System queues can be renamed but never deleted."""

    list_display = ["name", "system_key"]
    fields = ["name"]
    inlines = [QueueMemberInline]

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.system_key)

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            obj.organization_id = form.instance.organization_id
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        if formset.has_changed():
            audit_record(actor=request.user, action="admin.changed", target=form.instance, data={"fields": ["members"]})
