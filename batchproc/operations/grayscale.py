"""Grayscale text and/or vector graphics by rewriting content streams (optimize_pdf).

The content is interpreted with its colour state. Before each painting operator of a kind
being converted (text shows for "text"; path painting for "graphics"), the current fill and
stroke colours are replaced by their gray equivalents (luminance 0.3 R + 0.59 G + 0.11 B;
CMYK through RGB); before a painting operator of a kind that is *not* converted, the
original colours are set again. So a colour shared by text and a rectangle ends up gray
for one and unchanged for the other.

Device, Cal and ICC-based colours are converted. Colours that cannot be turned gray
faithfully (patterns, Separation, DeviceN, Indexed, Lab) when they paint something being
converted, shadings (`sh`) when graphics are converted, and form XObjects that paint with a
colour inherited from the page while only one of text/graphics is converted raise
UnsupportedOperationError. Images are not touched here (see grayscale_images).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pikepdf
from pikepdf import Name, Operator

from ..errors import UnsupportedOperationError

TEXT_SHOWS = {"Tj", "TJ", "'", '"'}
FILLS = {"f", "F", "f*", "B", "B*", "b", "b*"}
STROKES = {"S", "s", "B", "B*", "b", "b*"}
PATH_PAINTS = FILLS | STROKES
STROKING_TEXT_MODES = {1, 2, 5, 6}
FILLING_TEXT_MODES = {0, 2, 4, 6}
SIMPLE_SPACES = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/DeviceCMYK": 4}
MAX_FORM_DEPTH = 8


@dataclass(frozen=True)
class _Colour:
    """One colour (fill or stroke) as set by the content: the operators that set it again,
    and its gray value when it has one (None: not convertible; "inherited": unknown here)."""

    setters: tuple[tuple[tuple, str], ...]
    gray: float | None | str


BLACK = _Colour(setters=(((0,), "g"),), gray=0.0)
INHERITED = _Colour(setters=(), gray="inherited")


def grayscale_content(pdf: pikepdf.Pdf, *, text: bool, graphics: bool) -> None:
    """Convert the text and/or graphics colours of every page (and the forms they draw)."""
    rewriter = _Rewriter(pdf, text=text, graphics=graphics)
    for page in pdf.pages:
        ops = rewriter.rewrite(page.obj, page.obj.get("/Resources"), inherited=False, depth=0)
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(ops))


def grayscale_appearances(pdf: pikepdf.Pdf, *, widgets: bool, others: bool) -> None:
    """Convert every colour of the appearance streams of form-field widgets and/or the
    other annotations (and the widgets' /MK and /DA colours)."""
    rewriter = _Rewriter(pdf, text=True, graphics=True)
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            is_widget = annot.get("/Subtype") == "/Widget"
            if not (widgets if is_widget else others):
                continue
            for stream in _appearance_streams(annot):
                if stream.objgen not in rewriter.done:
                    rewriter.done.add(stream.objgen)
                    ops = rewriter.rewrite(stream, stream.get("/Resources"), inherited=False, depth=0)
                    stream.write(pikepdf.unparse_content_stream(ops))
            if is_widget:
                _gray_widget_settings(annot)


def _appearance_streams(annot: pikepdf.Dictionary):
    appearance = annot.get("/AP")
    if appearance is None:
        return
    for key in ("/N", "/R", "/D"):
        entry = appearance.get(key)
        if isinstance(entry, pikepdf.Stream):
            yield entry
        elif isinstance(entry, pikepdf.Dictionary):
            yield from (state for state in entry.values() if isinstance(state, pikepdf.Stream))


def _gray_widget_settings(annot: pikepdf.Dictionary) -> None:
    characteristics = annot.get("/MK")
    if characteristics is not None:
        for key in ("/BC", "/BG"):
            if key in characteristics and len(characteristics[key]) in (3, 4):
                characteristics[key] = pikepdf.Array([_gray_of([float(v) for v in characteristics[key]])])
    if "/DA" in annot:
        tokens = str(annot.DA).split()
        out, i = [], 0
        while i < len(tokens):
            if tokens[i] in ("rg", "k") and i >= (3 if tokens[i] == "rg" else 4):
                width = 3 if tokens[i] == "rg" else 4
                components = [float(t) for t in out[-width:]]
                out = out[:-width] + [f"{_gray_of(components):.3f}", "g"]
            else:
                out.append(tokens[i])
            i += 1
        annot.DA = pikepdf.String(" ".join(out))


def _gray_of(components: list[float]) -> float:
    if len(components) == 1:
        return components[0]
    if len(components) == 4:
        c, m, y, k = components
        components = [1 - min(1.0, c + k), 1 - min(1.0, m + k), 1 - min(1.0, y + k)]
    r, g, b = components
    return 0.3 * r + 0.59 * g + 0.11 * b


@dataclass(frozen=True)
class _State:
    fill: _Colour
    stroke: _Colour
    shown_fill: _Colour
    shown_stroke: _Colour
    """What is really set in the rewritten stream (a gray stand-in, or the original)."""
    text_mode: int = 0


class _Rewriter:
    def __init__(self, pdf: pikepdf.Pdf, *, text: bool, graphics: bool) -> None:
        self.pdf = pdf
        self.text, self.graphics = text, graphics
        self.done: set[tuple[int, int]] = set()

    def rewrite(self, container, resources, *, inherited: bool, depth: int) -> list:
        if depth > MAX_FORM_DEPTH:
            raise UnsupportedOperationError("optimize_pdf: form XObjects nest too deeply to convert to gray")
        start = INHERITED if inherited else BLACK
        stack = [_State(start, start, start, start)]
        spaces = {"fill": "/DeviceGray", "stroke": "/DeviceGray"}
        space_stack = [dict(spaces)]
        out: list[tuple[list, Operator]] = []
        for operands, operator in pikepdf.parse_content_stream(container):
            op = str(operator)
            state = stack[-1]
            if op == "q":
                stack.append(state)
                space_stack.append(dict(spaces))
            elif op == "Q":
                if len(stack) > 1:
                    stack.pop()
                    spaces = space_stack.pop()
            elif op in ("g", "G", "rg", "RG", "k", "K"):
                which = "stroke" if op.isupper() else "fill"
                spaces[which] = {"g": "/DeviceGray", "rg": "/DeviceRGB", "k": "/DeviceCMYK"}[op.lower()]
                colour = _Colour(((tuple(operands), op),), _gray_of([float(v) for v in operands]))
                stack[-1] = _set(state, which, colour)
            elif op in ("cs", "CS"):
                which = "stroke" if op == "CS" else "fill"
                spaces[which] = str(operands[0])
                components = _initial_components(self._space(resources, operands[0]))
                colour = _Colour(((tuple(operands), op),), self._gray(resources, operands[0], components))
                stack[-1] = _set(state, which, colour)
            elif op in ("sc", "scn", "SC", "SCN"):
                which = "stroke" if op.isupper() else "fill"
                space_name = spaces[which]
                select = ((Name(space_name),), "CS" if which == "stroke" else "cs")
                components = [float(v) for v in operands if not isinstance(v, Name)]
                gray = None if any(isinstance(v, Name) for v in operands) else self._gray(resources, Name(space_name), components)
                stack[-1] = _set(state, which, _Colour((select, (tuple(operands), op)), gray))
            elif op == "Tr":
                stack[-1] = replace(state, text_mode=int(operands[0]))
            elif op in TEXT_SHOWS or op in PATH_PAINTS:
                out += self._show(stack, self.text if op in TEXT_SHOWS else self.graphics, op)
            elif op == "sh" and self.graphics:
                raise UnsupportedOperationError("optimize_pdf: grayscale_graphics cannot convert shadings (gradients)")
            elif op == "Do":
                out += self._form(stack, resources, operands[0], depth)
            out.append((operands, operator))
        return out

    def _show(self, stack: list[_State], convert: bool, op: str) -> list:
        """Colour operators needed before painting operator `op`: gray stand-ins for the
        colours it uses when `convert`, else the original colours."""
        state = stack[-1]
        if op in TEXT_SHOWS:
            uses = {"fill": state.text_mode in FILLING_TEXT_MODES, "stroke": state.text_mode in STROKING_TEXT_MODES}
        else:
            uses = {"fill": op in FILLS, "stroke": op in STROKES}
        ops: list = []
        for which in ("fill", "stroke"):
            if not uses[which]:
                continue
            logical = getattr(state, which)
            shown = getattr(state, f"shown_{which}")
            wanted = _gray_stand_in(logical, which, op) if convert else logical
            if wanted == shown:
                continue
            if not wanted.setters:
                raise UnsupportedOperationError(
                    "optimize_pdf: a form XObject paints text and graphics with a colour inherited from the page; "
                    "convert text and graphics together for such files")
            ops += [(list(operands), Operator(setter)) for operands, setter in wanted.setters]
            state = replace(state, **{f"shown_{which}": wanted})
        stack[-1] = state
        return ops

    def _form(self, stack: list[_State], resources, name, depth: int) -> list:
        xobjects = resources.get("/XObject") if resources is not None else None
        if xobjects is None or name not in xobjects or xobjects[name].get("/Subtype") != "/Form":
            return []
        form = xobjects[name]
        both = self.text and self.graphics
        before = self._show(stack, True, "f") + self._show(stack, True, "S") if both else []
        if form.objgen not in self.done:
            self.done.add(form.objgen)
            ops = self.rewrite(form, form.get("/Resources", resources), inherited=not both, depth=depth + 1)
            form.write(pikepdf.unparse_content_stream(ops))
        return before

    def _space(self, resources, name):
        if str(name) in SIMPLE_SPACES or str(name) == "/Pattern":
            return name
        spaces = resources.get("/ColorSpace") if resources is not None else None
        if spaces is None or name not in spaces:
            return name
        return spaces[name]

    def _gray(self, resources, name, components: list[float]) -> float | None:
        space = self._space(resources, name)
        family = str(space[0]) if isinstance(space, pikepdf.Array) else str(space)
        if family == "/ICCBased":
            count = int(space[1].get("/N", 0))
        else:
            count = SIMPLE_SPACES.get(family)
        if count is None or len(components) != count:
            return None
        return _gray_of(components)


def _set(state: _State, which: str, colour: _Colour) -> _State:
    # A colour operator in the stream sets the real state too: what is shown is the original.
    return replace(state, **{which: colour, f"shown_{which}": colour})


def _gray_stand_in(colour: _Colour, which: str, op: str) -> _Colour:
    if colour.gray == "inherited":
        raise UnsupportedOperationError(
            "optimize_pdf: a form XObject paints with a colour inherited from the page; convert text and "
            "graphics together for such files")
    if colour.gray is None:
        raise UnsupportedOperationError(
            f"optimize_pdf: a {which} colour (pattern, separation, indexed or Lab) used by '{op}' cannot be "
            "converted to gray faithfully")
    value = round(float(colour.gray), 4)
    return _Colour(((( value,), "G" if which == "stroke" else "g"),), value)


def _initial_components(space) -> list[float]:
    family = str(space[0]) if isinstance(space, pikepdf.Array) else str(space)
    if family == "/ICCBased":
        return [0.0] * int(space[1].get("/N", 1))
    if family == "/DeviceCMYK":
        return [0.0, 0.0, 0.0, 1.0]
    return [0.0] * SIMPLE_SPACES.get(family, 1)
