"""The time-zone <select> of the public booking and manage pages, built once per process in Python."""
import pytest
from django.template import engines

from booking.forms import known_timezones, timezone_names, timezone_options

LOOP = engines["django"].from_string(
    '{% for name in timezones %}<option value="{{ name }}"{% if name == sel %} selected{% endif %}>'
    "{{ name }}</option>{% endfor %}"
)


@pytest.mark.parametrize("selected", ["Europe/Paris", "UTC", "America/Argentina/Buenos_Aires", "America/Indiana/Indianapolis",
                                      "Etc/GMT+1", "Not/AZone", "", None])
def test_same_markup_as_the_template_loop(selected):
    assert str(timezone_options(selected)) == LOOP.render({"timezones": timezone_names(), "sel": selected})


def test_exactly_one_option_selected_and_names_are_known():
    markup = str(timezone_options("America/New_York"))
    assert markup.count(" selected>") == 1 and '<option value="America/New_York" selected>' in markup
    assert set(timezone_names()) <= known_timezones()
    assert "Europe/Paris" in known_timezones() and "Not/AZone" not in known_timezones()
