"""Notebook face of the exam engine: an interactive quiz cell any teaching notebook can end with.

    from dp100lab.exam import quiz
    quiz(module="05", n=3)          # or skill="3.1.4", domain="3", ids=[...]

With ipywidgets in a Jupyter kernel it shows one card per question (choices, Check button, explanation); answers
are recorded in the same progress store as `dp100 quiz`. Without widgets (or with widgets=False) it falls back to
plain text: it asks with input() when the kernel can, otherwise prints each answer and explanation to self-check.
"""

from __future__ import annotations

import sys

from .bank import Bank, Question, load_bank
from .engine import explain, parse_answer, render, score, select, shuffled


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def _widgets_ok() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return _in_kernel()


class Quiz:
    def __init__(self, questions: list[Question], bank: Bank, store=None, widgets: bool | None = None,
                 input_fn=None, out=None):
        self.questions, self.bank = questions, bank
        self._store = store
        self.use_widgets = _widgets_ok() if widgets is None else widgets
        self.input_fn, self.out = input_fn, out
        self.results: dict[str, float] = {}
        self.widget = None

    @property
    def store(self):
        if self._store is None:
            from .store import ProgressStore

            self._store = ProgressStore()
        return self._store

    def __repr__(self) -> str:
        return f"Quiz({len(self.questions)} questions)"

    def _ipython_display_(self) -> None:
        self.show()

    def show(self) -> None:
        if self.use_widgets:
            from IPython.display import display

            display(self.build())
        else:
            self.text()

    def grade(self, q: Question, ans, marked: bool = False) -> str:
        s = score(q, ans)
        self.results[q.id] = s
        self.store.record(q.id, s, "notebook", marked=marked)
        return explain(q, ans)

    # ----- plain text -----
    def text(self) -> None:
        out = self.out or sys.stdout
        ask = self.input_fn or input
        interactive = True
        for i, q in enumerate(self.questions, 1):
            print(render(q, self.bank, header=f"\nQuestion {i}/{len(self.questions)} ({q.id})"), file=out)
            ans = None
            while interactive:
                try:
                    typed = ask("Your answer (Enter to reveal): ")
                except Exception:  # no stdin here (headless run): show answers as a self-check
                    interactive = False
                    break
                if not typed.strip():
                    break
                try:
                    ans = parse_answer(q, typed)
                    break
                except ValueError as exc:
                    print(f"  {exc}", file=out)
            print(self.grade(q, ans) if ans is not None else explain(q), file=out)

    # ----- ipywidgets -----
    def build(self):
        import ipywidgets as w

        cards = [self._card(q, i) for i, q in enumerate(self.questions, 1)]
        self.widget = w.VBox(cards)
        return self.widget

    def _card(self, q: Question, i: int):
        import ipywidgets as w
        from IPython.display import Markdown, display

        stem = w.Output()
        with stem:
            case = self.bank.cases.get(q.case) if q.case else None
            if case:
                display(Markdown(f"**Case study: {case.get('title', q.case)}**\n\n{case['scenario']}"))
            display(Markdown(f"**Question {i}/{len(self.questions)}** · {', '.join(q.skills)}\n\n{q.stem}"))
        if q.type in ("single", "code"):
            ctl = w.RadioButtons(options=[(f"{k}. {v}", k) for k, v in q.options.items()], value=None,
                                 layout=w.Layout(width="auto"))
            read = lambda: ctl.value  # noqa: E731
            controls = [ctl]
        elif q.type == "multiple":
            boxes = {k: w.Checkbox(description=f"{k}. {v}", indent=False) for k, v in q.options.items()}
            read = lambda: " ".join(k for k, b in boxes.items() if b.value)  # noqa: E731
            controls = [w.HTML(f"Choose {q.choose}:"), *boxes.values()]
        elif q.type == "ordering":
            txt = w.Text(placeholder="letters in order, e.g. " + " ".join(reversed(q.keys)))
            read = lambda: txt.value  # noqa: E731
            controls = [w.HTML("<br>".join(f"{k}. {v}" for k, v in q.options.items())), txt]
        else:
            toggles = [w.ToggleButtons(options=["Yes", "No"], value=None, description=f"{j}.")
                       for j in range(1, len(q.statements) + 1)]
            read = lambda: " ".join((t.value or "?")[0] for t in toggles)  # noqa: E731
            controls = [x for j, s in enumerate(q.statements) for x in (w.HTML(f"{j + 1}. {s}"), toggles[j])]
        mark = w.Checkbox(description="mark for review", indent=False)
        button = w.Button(description="Check answer", button_style="primary")
        feedback = w.Output()

        def on_check(_):
            feedback.clear_output()
            with feedback:
                try:
                    ans = parse_answer(q, str(read() or ""))
                except ValueError as exc:
                    print(exc)
                    return
                print(self.grade(q, ans, marked=mark.value))

        button.on_click(on_check)
        return w.VBox([stem, *controls, w.HBox([button, mark]), feedback],
                      layout=w.Layout(border="1px solid #ccc", padding="6px", margin="6px 0"))


def quiz(module: str | None = None, skill: str | None = None, domain: str | None = None, n: int = 5,
         ids: list[str] | None = None, seed: int | None = 0, widgets: bool | None = None, bank: Bank | None = None,
         store=None, input_fn=None, out=None) -> Quiz:
    """Quiz on a module/skill/domain (or explicit ids). In a notebook, end a cell with it to show the cards."""
    bank = bank or load_bank()
    if ids:
        by_id = bank.by_id()
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise ValueError(f"unknown question id(s) {missing}; see helpers/dp100lab/exam/data/questions")
        qs = [by_id[i] for i in ids]
    else:
        qs = shuffled(select(bank, domain, skill, module), n, seed)
    if not qs:
        raise ValueError("no questions match that choice yet (see `dp100 coverage`)")
    qz = Quiz(qs, bank, store, widgets, input_fn, out)
    if not _in_kernel():
        qz.show()  # plain Python: nothing will call _ipython_display_
    return qz
