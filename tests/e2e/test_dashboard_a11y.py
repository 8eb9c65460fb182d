"""What a screen reader is given: the dashboard's main pages audited through Chromium's own
accessibility tree (the DevTools protocol's `Accessibility.getFullAXTree`, what assistive technology
reads), against the shared runc `node_cluster`.

On the overview, a list, an object's page with its YAML editor, the logs, both exec pages and a confirmation
dialog: every control (button, link, text box, select, checkbox, tab...) has a name; each page has one
`main` landmark, the navigation landmark and one level-1 heading, and headings do not skip levels; a
table's columns have headers; the place where actions report their outcome is a live region. And from
the keyboard alone: Tab moves through the navigation's links and each focused control is visibly
outlined; a dialog takes the focus and Escape closes it.
"""

from __future__ import annotations


from test_dashboard import ARTIFACTS, playwright_sync
from test_dashboard_ops import dash  # noqa: F401 (the logged-in page, a fixture)

# Roles a user acts on: each needs a name to be announced by.
CONTROLS = {"button", "link", "textbox", "searchbox", "combobox", "listbox", "checkbox", "radio", "switch",
            "tab", "menuitem", "spinbutton", "slider", "option"}


def ax_tree(page) -> list[dict]:
    """The page's accessibility tree as Chromium exposes it, without the nodes it marks ignored."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    return [n for n in nodes if not n.get("ignored")]


def value(node: dict, key: str) -> str:
    return str((node.get(key) or {}).get("value", "") or "")


def prop(node: dict, name: str):
    for p in node.get("properties", []):
        if p.get("name") == name:
            return (p.get("value") or {}).get("value")
    return None


def audit(page, where: str, structure: bool = True) -> list[str]:
    """What a screen-reader user would miss on the page as it is now; empty when nothing. With a modal
    dialog open the rest of the page is inert (not in the tree): then only the controls are checked."""
    nodes = ax_tree(page)
    problems = []
    for n in nodes:
        role = value(n, "role")
        if role in CONTROLS and not value(n, "name").strip() and not prop(n, "hidden"):
            problems.append(f"{where}: a {role} without a name (DOM node {n.get('backendDOMNodeId')})")
    if not structure:
        return problems
    roles = [value(n, "role") for n in nodes]
    if roles.count("main") != 1:
        problems.append(f"{where}: {roles.count('main')} main landmarks, want 1")
    if "navigation" not in roles:
        problems.append(f"{where}: no navigation landmark")
    levels = [prop(n, "level") for n in nodes if value(n, "role") == "heading"]
    if levels.count(1) != 1:
        problems.append(f"{where}: {levels.count(1)} level-1 headings, want 1 (levels {levels})")
    previous = 0
    for level in levels:
        if level and previous and level > previous + 1:
            problems.append(f"{where}: heading level {level} follows level {previous}")
        previous = level or previous
    for n in nodes:
        if value(n, "role") == "table":
            ids = set(n.get("childIds", []))
            # Header cells sit in the table's first row group; Chromium gives them the role columnheader.
            if not any(value(m, "role") == "columnheader" for m in nodes if m.get("nodeId") in descendants(nodes, ids)):
                problems.append(f"{where}: a table without column headers ({value(n, 'name')!r})")
    return problems


def descendants(nodes: list[dict], ids: set[str]) -> set[str]:
    by_id = {n["nodeId"]: n for n in nodes}
    seen, todo = set(), list(ids)
    while todo:
        i = todo.pop()
        if i in seen:
            continue
        seen.add(i)
        todo.extend(by_id.get(i, {}).get("childIds", []))
    return seen


def show(dash, fragment: str, ready: str):
    dash.goto(fragment)
    playwright_sync.expect(dash.page.locator(ready).first).to_be_visible(timeout=20_000)


def test_every_main_page_names_its_controls_and_is_structured_for_a_screen_reader(dash):
    dash.ensure_web()
    page = dash.page
    pod = dash.pod_name()
    pages = [
        ("overview", "#/", '[data-node="e2e-node"]'),
        ("pods list", "#/r/core/v1/pods", 'tr[data-name]'),
        ("deployment with its YAML editor", f"#/o/apps/v1/deployments/{dash.ns}/web", 'dd[data-field="Replicas"]'),
        ("pod", f"#/o/core/v1/pods/{dash.ns}/{pod}", "#yaml"),
        ("logs", f"#/logs/{dash.ns}/{pod}", "#log"),
        ("line-mode exec", f"#/exec/{dash.ns}/{pod}", "#stdin"),
        ("terminal", f"#/exec/{dash.ns}/{pod}?tty=1", "main h1"),
    ]
    page.select_option("#namespace", dash.ns)
    problems = []
    for name, fragment, ready in pages:
        show(dash, fragment, ready)
        page.wait_for_timeout(300)  # live lists draw in the next frame
        problems += audit(page, name)
        controls = [n for n in ax_tree(page) if value(n, "role") in CONTROLS]
        assert len(controls) >= 10, (name, len(controls))  # the tree was read, not empty
    assert not problems, "\n".join(problems)


def test_actions_report_in_a_live_region_and_dialogs_take_the_keyboard(dash):
    dash.ensure_web()
    page = dash.page
    expect = playwright_sync.expect
    show(dash, f"#/o/apps/v1/deployments/{dash.ns}/web", 'dd[data-field="Replicas"]')
    # The box every action's outcome (and the API's error) is written to is announced when it changes.
    box = page.locator("#alert")
    assert box.get_attribute("role") == "alert" or box.get_attribute("aria-live") in ("polite", "assertive")
    page.get_by_role("button", name="Scale").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    # The dialog is named, holds the focus, and is modal for assistive technology.
    assert dialog.get_attribute("aria-labelledby") or dialog.get_attribute("aria-label")
    assert page.evaluate("() => !!document.activeElement.closest('dialog,[role=dialog]')")
    problems = audit(page, "scale dialog", structure=False)
    # Modal: the page behind it is out of the tree, the dialog's own controls are in it.
    names = {value(n, "name") for n in ax_tree(page) if value(n, "role") == "button"}
    assert {"OK", "Cancel"} <= names and "Scale" not in names, names
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert not problems, "\n".join(problems)
    # Confirmed from the keyboard, the outcome lands in that live region.
    page.get_by_role("button", name="Scale").click()
    page.fill("#replicas", "1")
    page.keyboard.press("Enter")
    expect(page.locator("#alert #alert-text")).to_contain_text("scaled to 1")
    expect(box).to_be_visible()


def test_tab_walks_the_navigation_with_a_visible_focus_outline(dash):
    page = dash.page
    show(dash, "#/", '[data-node="e2e-node"]')
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    seen, unmarked = [], []
    for _ in range(40):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            const s = getComputedStyle(el);
            const outlined = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
            return {tag: el.tagName, text: (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40),
                    inNav: !!el.closest('nav'), outlined};
        }""")
        if info is None:
            continue
        seen.append(info)
        if not info["outlined"]:
            unmarked.append(info)
    ARTIFACTS.mkdir(exist_ok=True)
    nav_links = [s for s in seen if s["inNav"] and s["tag"] == "A"]
    assert len(nav_links) >= 5, seen
    assert {"Pods", "Deployments"} <= {s["text"] for s in nav_links}, nav_links
    assert not unmarked, f"focused without a visible outline: {unmarked}"
