"""The portal's cut of Bootstrap (static/portal/scss/bootstrap.scss, built by `npm run build:css`)
still styles every class the templates and the forms use, in both directions.

A class no stylesheet defines is either a Bootstrap part the build left out (add it to the scss
entry and rebuild) or a hook with no style of its own, which HOOKS names."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "static/vendor/bootstrap/bootstrap.min.css"
BOOTSTRAP_RTL = ROOT / "static/vendor/bootstrap/bootstrap.rtl.min.css"
PORTAL_CSS = ROOT / "static/portal/portal.css"
APPS = ["members", "organizations", "conferences", "cbms", "hoa_portal"]

# Classes that mark an element for a test, a script or a reader, and are styled by nothing.
HOOKS = {
    "affected",  # confirm_delete.html: the records a deletion takes along
    "former-name",  # cbm_detail.html: a CBM's earlier names
    "inline-form",  # the htmx forms edited in place
    "language-switcher",
    "messages",
    "recovery-codes",
    "saved-narrative",
}
# Classes a template completes with a variable: alert-{{ message.level_tag }}. The portal's own
# families (status-{{ code }}, window-, rtg-, depth-) are checked by their prefix instead.
COMPOSED = {
    "alert-": ["success", "info", "warning", "danger"],  # Django's message levels, error→danger
}

CLASS_ATTRIBUTE = re.compile(r'class="([^"]*)"')
TEMPLATE_TAG = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})")
CLASS_SELECTOR = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")


def _class_attribute(value: str) -> tuple[set[str], set[str]]:
    """The classes a class attribute can take, in every branch of its {% if %}s, and the
    prefixes it completes with a variable. A word ending in "-" glued to a tag is a prefix:
    text-bg-{% if ok %}success{% else %}danger{% endif %} gives text-bg-success, text-bg-danger."""
    classes, variable_prefixes = set(), set()
    prefix = None
    for part in TEMPLATE_TAG.split(value):
        if part.startswith("{{"):
            if prefix:
                variable_prefixes.add(prefix)
            continue
        if part.startswith("{%") or not part:
            continue
        if prefix and not part[0].isspace():
            suffix, space, part = part.partition(" ")
            classes.add(prefix + suffix)
            if not space:
                continue  # the prefix may take another branch's value next
        prefix = None
        words = part.split()
        if words and not part[-1].isspace() and words[-1].endswith("-"):
            prefix = words.pop()
        classes.update(words)
    return classes, variable_prefixes


def _template_classes() -> tuple[set[str], set[str]]:
    classes, variable_prefixes = set(), set()
    for template in (ROOT / "templates").rglob("*.html"):
        for value in CLASS_ATTRIBUTE.findall(template.read_text()):
            found, prefixes = _class_attribute(value)
            classes |= found
            variable_prefixes |= prefixes
    for prefix in variable_prefixes & set(COMPOSED):
        classes.update(prefix + value for value in COMPOSED[prefix])
    return classes, variable_prefixes - set(COMPOSED)


def _strings(node: ast.expr) -> list[str]:
    """The strings an expression can evaluate to, or be made of: "a", "a" if x else "b",
    f"{x} a", "a" + x; not the arguments of a call (attrs.get("class", ""))."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    if isinstance(node, ast.BinOp):
        return _strings(node.left) + _strings(node.right)
    if isinstance(node, ast.JoinedStr):
        return [part for value in node.values for part in _strings(value)]
    return []


def _python_classes() -> set[str]:
    """The classes the forms and views give widgets and rows: the strings assigned to
    `attrs["class"]`, to a `"class"` key, or to a variable called css or *_class."""
    classes = set()
    for module in (path for app in APPS for path in (ROOT / app).rglob("*.py")):
        if "migrations" in module.parts:
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            values = []
            if isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    named = isinstance(target, ast.Name) and (
                        target.id == "css" or target.id.endswith("_class")
                    )
                    keyed = isinstance(target, ast.Subscript) and (
                        isinstance(target.slice, ast.Constant) and target.slice.value == "class"
                    )
                    if named or keyed:
                        values.append(node.value)
            elif isinstance(node, ast.Dict):
                values += [
                    value
                    for key, value in zip(node.keys, node.values, strict=True)
                    if isinstance(key, ast.Constant) and key.value == "class"
                ]
            for value in values:
                classes.update(word for string in _strings(value) for word in string.split())
    # serializer_class, form_class... name Python classes, not CSS ones.
    return {c for c in classes if re.fullmatch(r"[a-z][a-z0-9-]*", c)}


def _defined(*stylesheets: Path) -> set[str]:
    css = "".join(sheet.read_text() for sheet in stylesheets)
    css = re.sub(r'url\("[^"]*"\)|url\([^)]*\)', "", css)  # data: URIs hold dots too
    return set(CLASS_SELECTOR.findall(css))


def test_class_attributes_are_read_in_every_branch():
    classes, prefixes = _class_attribute(
        "badge text-bg-{% if a %}success{% elif b %}danger{% else %}secondary{% endif %}"
        "{% if c %} active{% endif %} status-{{ code }}"
    )
    assert classes == {
        "badge",
        "text-bg-success",
        "text-bg-danger",
        "text-bg-secondary",
        "active",
    }
    assert prefixes == {"status-"}


def test_python_sources_give_the_bootstrap_form_classes():
    # The scan finds what the forms set, or the comparisons below would check nothing of it.
    assert {"form-control", "form-select", "form-check-input", "is-invalid"} <= _python_classes()


@pytest.mark.parametrize("bootstrap", [BOOTSTRAP, BOOTSTRAP_RTL], ids=["ltr", "rtl"])
def test_every_class_the_portal_uses_is_styled_or_a_known_hook(bootstrap):
    defined = _defined(bootstrap, PORTAL_CSS)
    template_classes, families = _template_classes()
    unstyled = sorted((template_classes | _python_classes()) - defined - HOOKS)
    assert unstyled == [], (
        f"{unstyled}: not in {bootstrap.name} nor portal.css. A Bootstrap class? Add its part "
        "to static/portal/scss/bootstrap.scss and run `npm run build:css`."
    )
    assert families, "status-{{ code }} and the like: the scan found none"
    assert sorted(f for f in families if not any(d.startswith(f) for d in defined)) == []


def test_hooks_are_still_used_and_still_unstyled():
    used, _ = _template_classes()
    defined = _defined(BOOTSTRAP, PORTAL_CSS)
    assert used >= HOOKS
    assert HOOKS & defined == set()


def test_the_right_to_left_build_has_the_same_classes_mirrored():
    ltr, rtl = BOOTSTRAP.read_text(), BOOTSTRAP_RTL.read_text()
    assert _defined(BOOTSTRAP) == _defined(BOOTSTRAP_RTL)

    def rule(css: str, selector: str) -> str:
        return re.search(re.escape(selector) + r"\{([^}]*)\}", css).group(1)

    assert rule(ltr, ".ms-xl-auto") == "margin-left:auto !important"
    assert rule(rtl, ".ms-xl-auto") == "margin-right:auto !important"
    assert "float:left" in rule(ltr, ".breadcrumb-item+.breadcrumb-item::before")
    assert "float:right" in rule(rtl, ".breadcrumb-item+.breadcrumb-item::before")


def test_the_build_leaves_out_what_no_page_uses():
    defined = _defined(BOOTSTRAP)
    # Components no template uses, and breakpoints of utilities no template asks for.
    absent = {"modal", "carousel", "tooltip", "popover", "toast", "accordion", "progress"}
    absent |= {"spinner-border", "form-range", "d-md-none", "mt-lg-3"}
    assert absent & defined == set()
    assert {"navbar-collapse", "card-body", "pagination", "ms-xl-auto", "text-bg-warning"} <= (
        defined
    )
