from django.http import HttpResponse

from tenants.access import member_required


@member_required
def surrogate_list(request):
    return HttpResponse("list")


@member_required
def surrogate_detail(request, public_id):
    return HttpResponse("detail")


@member_required
def status_request_list(request):
    return HttpResponse("requests")
