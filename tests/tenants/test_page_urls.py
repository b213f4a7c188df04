"""{% page_url %} remembers reversed URLs per script prefix: the same result as {% url %}, also when
the app is served under a prefix."""
from django.template import Context, Template
from django.urls import clear_script_prefix, reverse, set_script_prefix

NAMES = ["home", "surrogates:list", "accounts:sessions", "logout", "admin:index"]


def _both(name):
    rendered = Template("{% load page_urls %}{% page_url '" + name + "' %}|{% url '" + name + "' %}").render(Context())
    return rendered.split("|")


def test_same_as_url_tag_and_follows_the_script_prefix():
    for name in NAMES:
        cached, plain = _both(name)
        assert cached == plain == reverse(name)
    try:
        set_script_prefix("/cradle/")
        for name in NAMES:
            cached, plain = _both(name)
            assert cached == plain and cached.startswith("/cradle/")
    finally:
        clear_script_prefix()
    assert _both("surrogates:list")[0] == reverse("surrogates:list")


def test_the_remembered_urls_stay_bounded():
    from tenants.templatetags import page_urls

    try:
        for index in range(page_urls._MAX_REMEMBERED + 50):
            set_script_prefix(f"/p{index}/")
            assert page_urls.page_url("surrogates:list") == f"/p{index}/surrogates/"
        assert len(page_urls._reversed) <= page_urls._MAX_REMEMBERED
    finally:
        clear_script_prefix()
