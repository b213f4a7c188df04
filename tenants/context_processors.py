def current_organization(request):
    return {
        "current_org": getattr(request, "organization", None),
        "current_membership": getattr(request, "membership", None),
    }
