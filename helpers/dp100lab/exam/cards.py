"""One question as an ipywidgets card: rendered Markdown, controls that fit the question type, a Check button.

Text (stem, options, statements, explanations) is Markdown shown by the notebook's own renderer, so bold,
tables and fenced code (highlighted) look as they do in a Markdown cell. With the `markdown` package installed
it is converted to HTML here instead (an HTML widget, code highlighted by Pygments).
Controls hold stored option keys, labels show display letters: the card works on the layout's view, so the
letters, the explanation and the score are the same as in `dp100 quiz`.
"""

from __future__ import annotations

from typing import Callable

from .bank import Question
from .engine import _one_line, explain, score
from .layout import Layout, to_shown, view

ORDINALS = ("1st", "2nd", "3rd") + tuple(f"{i}th" for i in range(4, 27))


def md(text: str):
    """A widget showing Markdown, rendered."""
    import ipywidgets as w

    try:
        import markdown  # optional: HTML here, highlighted with Pygments
    except ImportError:
        from IPython.display import Markdown

        out = w.Output(layout=w.Layout(width="100%"))
        out.append_display_data(Markdown(text))  # no kernel needed: the output is stored on the widget
        return out
    html = markdown.markdown(text, extensions=["fenced_code", "tables", "codehilite"],
                             extension_configs={"codehilite": {"noclasses": True}})
    return w.HTML(html)


def stem_markdown(v: Question, bank, number: str, show_case: bool) -> str:
    """Header, case study, stem and the options under their display letters (statements go with their buttons)."""
    parts = [f"**{number}** · {', '.join(v.skills)}"]
    if show_case and v.case and bank and v.case in bank.cases:
        case = bank.cases[v.case]
        parts.append(f"**Case study: {case.get('title', v.case)}**\n\n{case['scenario'].strip()}\n\n---")
    parts.append(v.stem)
    if v.type != "yesno":
        parts.append("\n".join(f"- **{k}.** {_one_line(t)}" for k, t in v.options.items()))
    return "\n\n".join(parts)


class Card:
    """The widget for one question. on_answer(q, stored_answer, marked) records it and returns the score."""

    def __init__(self, q: Question, layout: Layout, number: str, on_answer: Callable, bank=None,
                 show_case: bool = True):
        import ipywidgets as w

        self.q, self.layout, self.v = q, layout, view(q, layout)
        self.on_answer = on_answer
        self.stem = md(stem_markdown(self.v, bank, number, show_case))
        self.controls = self._controls(w)
        self.mark = w.Checkbox(description="mark for review", indent=False)
        self.button = w.Button(description="Check answer", button_style="primary")
        self.button.on_click(lambda _: self.check())
        self.message = w.HTML()
        self.feedback = w.Output()
        self.box = w.VBox([self.stem, *self.controls, w.HBox([self.button, self.mark]), self.message, self.feedback],
                          layout=w.Layout(border="1px solid #ccc", padding="6px", margin="6px 0"))

    # ----- controls per type -----
    def _controls(self, w) -> list:
        q, lay = self.q, self.layout
        pairs = [(lay.shown(k) if lay.order else k, k) for k in (lay.order or q.keys)]  # (letter shown, stored key)
        if q.type in ("single", "code"):
            self.radio = w.RadioButtons(options=pairs, value=None, layout=w.Layout(width="auto"))
            self.radio.observe(lambda _: self._clear(), "value")
            return [self.radio]
        if q.type == "multiple":
            self.boxes = {k: w.Checkbox(description=letter, indent=False, layout=w.Layout(width="60px"))
                          for letter, k in pairs}
            for b in self.boxes.values():
                b.observe(lambda _: self._clear(), "value")
            return [w.HTML(f"Choose {q.choose}:"), w.HBox(list(self.boxes.values()))]
        if q.type == "ordering":
            self.slots = [w.Dropdown(options=[("—", None), *pairs], value=None, description=ORDINALS[i],
                                     layout=w.Layout(width="160px")) for i in range(len(pairs))]
            for d in self.slots:
                d.observe(lambda _: self._clear(), "value")
            return [w.HTML("Put the items in order: pick the item for each position."), w.HBox(self.slots)]
        self.toggles = [w.ToggleButtons(options=["Yes", "No"], value=None, style={"button_width": "60px"})
                        for _ in q.statements]
        for t in self.toggles:
            t.observe(lambda _: self._clear(), "value")
        return [w.HBox([t, md(f"{i}. {s}")]) for i, (t, s) in enumerate(zip(self.toggles, q.statements), 1)]

    def _clear(self) -> None:
        self.message.value = ""

    # ----- reading the controls -----
    def read(self):
        """The answer in stored keys, or raise ValueError with what to do (in words for buttons, not letters)."""
        q = self.q
        if q.type in ("single", "code"):
            if self.radio.value is None:
                raise ValueError("Choose an option first.")
            return self.radio.value
        if q.type == "multiple":
            picked = [k for k, b in self.boxes.items() if b.value]
            if not picked:
                raise ValueError(f"Choose {q.choose} options first.")
            if len(picked) != q.choose:
                raise ValueError(f"Choose exactly {q.choose} options (you chose {len(picked)}).")
            return sorted(picked)  # order does not matter for choose-N: record it by key
        if q.type == "ordering":
            vals = [d.value for d in self.slots]
            placed = [v for v in vals if v is not None]
            if len(placed) < len(vals):
                raise ValueError(f"Pick an item for every position ({len(placed)} of {len(vals)} placed).")
            twice = next((v for v in placed if placed.count(v) > 1), None)
            if twice is not None:
                raise ValueError(f"Each item goes in one position: {self.layout.shown(twice) if self.layout.order else twice}"
                                 f" is picked twice.")
            return vals
        vals = [t.value for t in self.toggles]
        left = sum(v is None for v in vals)
        if left:
            raise ValueError("Answer Yes or No for every statement first" + (f" ({left} left)." if len(vals) > 1 else "."))
        return [v == "Yes" for v in vals]

    def set_controls(self, stored) -> None:
        q = self.q
        if q.type in ("single", "code"):
            self.radio.value = stored
        elif q.type == "multiple":
            for k, b in self.boxes.items():
                b.value = k in stored
        elif q.type == "ordering":
            for d, k in zip(self.slots, stored):
                d.value = k
        else:
            for t, a in zip(self.toggles, stored):
                t.value = "Yes" if a else "No"

    # ----- checking -----
    def check(self) -> None:
        if self.button.disabled:
            return
        try:
            stored = self.read()
        except ValueError as exc:
            self.message.value = f"<span style='color:#b35c00'>{exc}</span>"
            return
        s = self.on_answer(self.q, stored, self.mark.value, self.layout)
        self.show_result(stored, s)

    def show_result(self, stored, s: float | None = None, restored: bool = False) -> None:
        """Lock the card and explain, in the letters it was shown with."""
        self.set_controls(stored)
        for c in self._all_controls():
            c.disabled = True
        self.button.disabled = True
        s = score(self.q, stored) if s is None else s
        self.button.description = "✓ Answered" if s >= 1 else "Answered"
        self.button.button_style = "success" if s >= 1 else "warning"
        self.message.value = "<i>Answered earlier (restored from your progress).</i>" if restored else ""
        self.feedback.clear_output()
        self.feedback.outputs = ()
        self.feedback.append_display_data(_markdown(explain(self.v, to_shown(self.q, self.layout, stored))))

    def _all_controls(self) -> list:
        q = self.q
        if q.type in ("single", "code"):
            return [self.radio]
        if q.type == "multiple":
            return list(self.boxes.values())
        if q.type == "ordering":
            return list(self.slots)
        return list(self.toggles)


def _markdown(text: str):
    from IPython.display import Markdown

    return Markdown(text)
