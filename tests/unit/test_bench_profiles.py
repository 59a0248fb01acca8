"""How `bench/profiles.py` charges py-spy's samples: to the innermost frame of our own code on
each stack (our paths printed relative or absolute), else to the innermost frame; line numbers
are dropped so that one function is one line; lines that are not stacks are skipped."""

from __future__ import annotations

from bench.profiles import charged_frames

RAW = """\
<module> (roster:8);main (services/cli.py:45);apply_rows (services/contacts/service_layer/import_handlers.py:97);normalize_phone (shared/phone.py:43);parse (phonenumbers/phonenumberutil.py:2900) 7
<module> (roster:8);main (services/cli.py:45);apply_rows (services/contacts/service_layer/import_handlers.py:101);normalize_phone (/work/x/shared/phone.py:44) 3
<module> (roster:8);_run_once (asyncio/base_events.py:1922);select (selectors.py:468) 5
<module> (roster:8);main (services/cli.py:45);apply_rows (services/contacts/service_layer/import_handlers.py:97) 2
not a stack line
"""  # noqa: E501


def test_samples_are_charged_to_the_innermost_frame_of_ours() -> None:
    charged = charged_frames(RAW)

    assert charged == {
        "normalize_phone (shared/phone.py)": 10,
        "select (selectors.py)": 5,
        "apply_rows (services/contacts/service_layer/import_handlers.py)": 2,
    }
