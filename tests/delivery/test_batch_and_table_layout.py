"""The batch page and the comparison table on a phone (issue 10.5): units that
need action come first, the time slots fold per day, the slot form folds once
there are slots; the table is a card per unit under 600 px with a download icon."""
import re

from tests.delivery.support import ready_batch


async def test_the_batch_page_lists_units_needing_action_first_and_folds_the_slots_per_day(personas):
    setup = await ready_batch(personas)
    carol = await personas.browser("carol")
    page = (await carol.get(f"/delivery/batches/{setup['batch']['id']}")).text
    readiness = re.search(r'<section id="readiness".*?</section>', page, re.S).group(0)
    chips = re.findall(r'class="chip chip_(\w+)"', readiness)
    # ready_batch: only the first unit is ready; it comes after the three that are not, folded away.
    assert chips == ["orange", "orange", "orange", "green"]
    ready = re.search(r'<details class="fold" id="units-ready">.*?</details>', readiness, re.S).group(0)
    assert re.findall(r'class="chip chip_(\w+)"', ready) == ["green"] and "1 套已具备条件或已交付" in ready
    days = re.findall(r'<details class="slot-day app-card">\s*<summary><span class="num">(\d\d-\d\d)</span>', page)
    assert len(days) == 1
    assert re.search(r"2 个时段，已约 0 / 4 位", page)
    assert re.search(r'<details class="fold" id="slot-form-fold">', page)  # folded: slots exist


async def test_with_no_slots_the_slot_form_is_open(personas):
    setup = await ready_batch(personas, slots=False)
    carol = await personas.browser("carol")
    page = (await carol.get(f"/delivery/batches/{setup['batch']['id']}")).text
    assert re.search(r'<details class="fold" id="slot-form-fold" open>', page)


async def test_the_table_downloads_with_a_download_icon_and_labels_each_card(personas):
    setup = await ready_batch(personas)
    carol = await personas.browser("carol")
    page = (await carol.get(f"/delivery/projects/{setup['project_id']}/table")).text
    link = re.search(r'<a[^>]*delivery-table\.xlsx"[^>]*>(.*?)</a>', page, re.S).group(1)
    assert "lucide/download.svg" in link and "printer" not in link
    table = re.search(r'<table class="doc-table doc-table_cards" style="([^"]*)"', page).group(1)
    assert "--col-2: '购房人'" in table and "--col-6: '" in table
