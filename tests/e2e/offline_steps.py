"""Steps of the offline scenarios, on any `tests.e2e.phones.Phone` (Chromium or WebKit)."""
from __future__ import annotations

from pathlib import Path

from tests.e2e.phones import ChromiumPhone, Phone
from tests.support import PASSWORD


async def sign_in(phone: Phone, username: str, password: str = PASSWORD) -> None:
    await phone.goto("/login")
    await phone.fill("input[name=username]", username)
    await phone.fill("input[name=password]", password)
    await phone.submit_and_wait("form[action='/login'] button[type=submit]")
    assert "/login" not in await phone.url(), await phone.text("body")


async def type_into_focus(phone: Phone, text: str) -> None:
    """Type where the caret is, replacing what is selected (a phrase's blank)."""
    if isinstance(phone, ChromiumPhone):
        await phone.page.keyboard.type(text)
        return
    await phone.run("""const e = document.activeElement;
        e.setRangeText(arguments[0], e.selectionStart, e.selectionEnd, 'end');
        e.dispatchEvent(new Event('input', {bubbles: true}));""", text)


async def fill_defect(phone: Phone, photos: list[str], *, room: bool = True, phrase: int = 0) -> None:
    """The capture form as an inspector fills it: photos from the gallery, room, category,
    severity, a phrase with its blank filled in, and the responsible construction unit."""
    await phone.files("input[data-gallery]", photos)
    await phone.wait_for("return document.querySelectorAll('.shot').length >= arguments[0]", len(photos),
                         what="the photos' previews")
    if room:
        await phone.choose("input[name=room]")
    await phone.choose("input[name=category][value=wall]")
    await phone.choose("input[name=severity][value=major]")
    await phone.run("document.querySelectorAll('button.phrase')[arguments[0]].click()", phrase)
    await type_into_focus(phone, "20")  # fills the phrase's blank ("墙面空鼓约 __ cm²"), selected by the tap
    await phone.select("select[name=construction_unit_id]", "Builder A")


async def save(phone: Phone) -> None:
    await phone.click("button[data-save]")


async def waiting_count_is(phone: Phone, count: int) -> None:
    await phone.wait_text("[data-outbox-count]", f"{count} 条待同步")


async def outbox_empties(phone: Phone, timeout: float = 60) -> None:
    await phone.wait_for("return (await Outbox.all()).length === 0", timeout=timeout, what="the outbox sent")


def shot_path(screens, browser: str, label: str) -> Path:
    screens.count += 1
    return screens.dir / f"{screens.count:02d}-{browser}-{label}.png"
