"""`/` for a signed-in member: the pipeline funnel, my tasks, approvals, this week's leads."""
from django.shortcuts import render
from django.utils import timezone

from dashboard import selectors
from tenants.access import member_required


@member_required
def dashboard(request):
    membership = request.membership
    now = timezone.now()
    today = timezone.localdate(now, request.organization.tzinfo)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "funnel": selectors.funnel(membership),
            "tasks": selectors.my_tasks(membership, today),
            "approvals": selectors.pending_approvals(membership),
            "leads": selectors.new_leads(membership, now),
            "today": today,
        },
    )
