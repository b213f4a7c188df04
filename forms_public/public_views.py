"""The applicant's page: GET/POST /apply/<token>/.

Outside in: no-store + no-referrer headers on every answer (404 and 429 included), the shared
per-IP rate limits, then public_entry (one unscoped lookup of the token; unknown, expired, used
or revoked all give the same 404), then the body-size check, then the form.

No CSRF cookie check here: with `Referrer-Policy: no-referrer` browsers send `Origin: null` on the
form's POST, which Django's CSRF check refuses; and it would add nothing, since a cross-site
forger cannot know the 256-bit token in the URL (a capability URL: the token is the defence).
"""
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited
from functools import wraps

from forms_public import services
from forms_public.schema import ApplicationForm, max_body_bytes
from forms_public.services import FormsError
from forms_public.uploads.detect import UploadRejected
from forms_public.uploads.limits import checked_post
from tenants.page_cache import RenderedPages
from tenants.public import public_entry
from tenants.ratelimits import ip_key, too_many_requests

INVALID = 400


def private_page(view):
    """The token is in the URL: never cache the page, never send it on as a Referer."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = render(request, "404.html", status=404)
        except Ratelimited:
            response = too_many_requests(request)
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


def _resolve(request, token):
    if request.method == "GET":
        return services.link_for_token_to_show(token)
    return services.link_for_token(token)


@csrf_exempt  # the secret token in the URL is the CSRF defence (see the module docstring)
@private_page
@ratelimit(group="forms_public.apply.get", key=ip_key, rate="60/m", method="GET", block=True)
@ratelimit(group="forms_public.apply.post", key=ip_key, rate="10/m", method="POST", block=True)
@public_entry(_resolve)
def apply(request, link, token):
    if request.method == "POST":
        schema = link.form_version.schema
        return checked_post(request, _submit, limit_bytes=max_body_bytes(schema), csrf=False, link=link)
    if request.method != "GET":
        raise Http404("Not found")
    return _empty_form(link)


PAGES = RenderedPages(max_entries=128)


def _empty_form(link):
    """The empty form, rendered once per (form version and its schema's digest, organization and
    its name); it carries nothing per request (no CSRF token, see the module docstring). The link
    itself is checked on every request by the resolver, so a used, revoked or expired one is a 404
    at once."""
    organization = link.organization
    key = (link.form_version_id, link.schema_digest, organization.pk, organization.name)
    body = PAGES.get(key)
    if body is None:
        schema = link.form_version.schema
        body = render_to_string(
            "forms_public/apply.html",
            {"form": ApplicationForm(schema=schema), "schema": schema, "organization": organization},
        )
        PAGES.put(key, body)
    return HttpResponse(body)


def _render(request, link, form, status=200):
    return render(
        request,
        "forms_public/apply.html",
        {"form": form, "schema": link.form_version.schema, "organization": link.organization},
        status=status,
    )


def _submit(request, link):
    form = ApplicationForm(request.POST, request.FILES, schema=link.form_version.schema)
    if form.is_valid():
        try:
            services.submission_create(
                link=link,
                answers=form.answers(),
                files=form.files_by_key(),
                kinds=form.accepted_kinds,
                image_bytes=form.image_bytes,
            )
        except FormsError:
            raise Http404("Not found")  # the link was used or revoked meanwhile: same answer as any bad token
        except UploadRejected as exc:
            form.add_error(None, f"A file {exc}")
        else:
            return render(request, "forms_public/thanks.html", {"organization": link.organization})
    return _render(request, link, form, status=INVALID)
