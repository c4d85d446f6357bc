"""Notebook face of the exam engine: an interactive quiz cell any teaching notebook can end with.

    from dp100lab.exam import quiz
    quiz(module="05", n=3)          # or skill="3.1.4", domain="3", ids=[...]; outline="ai300" for AI-300 ids

With ipywidgets in a Jupyter kernel it shows one card per question (cards.py): Markdown rendered, options
shuffled as in `dp100 quiz`, a Check button with messages that speak of buttons, and the explanation. Answers go
to the same progress store as the terminal. The cell remembers its questions (picker.py): re-run after
answering them all, it brings new ones (due reviews first, then unseen, weighted to the module); re-run or
reopened before that, it shows the same cards with the answers already given.
Without widgets (or with widgets=False) it falls back to plain text: it asks with input() when the kernel can,
otherwise prints each answer and explanation to self-check.
"""

from __future__ import annotations

import sys

from . import picker, term
from .bank import Bank, Question, load_bank
from .engine import explain, parse_answer, render, score, select, shuffled
from .layout import to_stored, view


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
                 input_fn=None, out=None, cell: dict | None = None, key: str | None = None, redraw=None):
        self.questions, self.bank = questions, bank
        self._store = store
        self.use_widgets = _widgets_ok() if widgets is None else widgets
        self.input_fn, self.out = input_fn, out
        self.results: dict[str, float] = {}
        self.widget = None
        self.cards = []
        self.cell = cell if cell is not None else picker.new_cell(questions)
        self.key, self.redraw = key, redraw  # redraw() -> a new Quiz for the same cell (the "New questions" button)

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

            display(self.view())
        else:
            self.text()

    def record(self, q: Question, stored, marked: bool, layout) -> float:
        """Score an answer given in stored keys, record it with its layout, remember it in the cell."""
        s = score(q, stored)
        self.results[q.id] = s
        self.store.record(q.id, s, "notebook", marked=marked, layout=layout, answer=stored)
        self.cell["answers"][q.id] = stored
        self.cell["scores"][q.id] = s
        if marked and q.id not in self.cell["marked"]:
            self.cell["marked"].append(q.id)
        if self.key:
            picker.save_cell(self.store, self.key, self.cell)
        self._update_summary()
        return s

    # ----- plain text -----
    def text(self) -> None:
        out = self.out or sys.stdout
        ask = self.input_fn or input
        interactive = True
        for i, q in enumerate(self.questions, 1):
            lay = picker.cell_layout(self.cell, q)
            v = view(q, lay)
            term.emit(out, render(v, self.bank, header=f"Question {i}/{len(self.questions)} ({q.id})"))
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
                    ans = parse_answer(v, typed)
                    break
                except ValueError as exc:
                    print(f"  {exc}", file=out)
            if ans is not None:
                self.record(q, to_stored(q, lay, ans), False, lay)
            term.emit(out, explain(v, ans) if ans is not None else explain(v))

    # ----- ipywidgets -----
    def build(self):
        """The cards, one per question, answered ones restored from the cell's record."""
        import ipywidgets as w

        from .cards import Card

        self.cards = []
        for i, q in enumerate(self.questions, 1):
            prev_case = i > 1 and self.questions[i - 2].case == q.case
            card = Card(q, picker.cell_layout(self.cell, q), f"Question {i}/{len(self.questions)}", self.record,
                        self.bank, show_case=not (q.case and prev_case))
            if q.id in self.cell["answers"]:
                card.mark.value = q.id in self.cell["marked"]
                card.show_result(self.cell["answers"][q.id], self.cell["scores"].get(q.id), restored=True)
            self.cards.append(card)
        return w.VBox([c.box for c in self.cards])

    def view(self):
        """Summary line, the cards, and a button for the next questions."""
        import ipywidgets as w

        self.summary = w.HTML()
        cards = self.build()
        self.next_button = w.Button(description="New questions", icon="refresh",
                                    tooltip="draw the next questions (due reviews first, then ones you have not seen)")
        self.next_button.on_click(lambda _: self._next())
        self.widget = w.VBox([self.summary, cards, self.next_button])
        self._update_summary()
        return self.widget

    def _update_summary(self) -> None:
        if getattr(self, "summary", None) is None:
            return
        done = [self.cell["scores"][q.id] for q in self.questions if q.id in self.cell["scores"]]
        n = len(self.questions)
        if len(done) < n:
            self.summary.value = f"<b>{len(done)}/{n} answered</b>" + (
                f" · {sum(done) / len(done):.0%} right so far" if done else "")
        else:
            self.summary.value = (f"<b>All {n} answered: {sum(done) / n:.0%} right.</b> Run the cell again or press "
                                  f"<i>New questions</i> for the next ones.")

    def _next(self) -> None:
        if self.redraw is None or self.widget is None:
            return
        nxt = self.redraw(force=True)
        self.widget.children = nxt.view().children
        self.__dict__.update({k: v for k, v in nxt.__dict__.items() if k != "widget"})


def quiz(module: str | None = None, skill: str | None = None, domain: str | None = None, n: int = 5,
         ids: list[str] | None = None, seed: int | None = None, widgets: bool | None = None, bank: Bank | None = None,
         store=None, input_fn=None, out=None, outline: str = "dp100") -> Quiz:
    """Quiz on a module/skill/domain (of the dp100 or ai300 outline) or explicit ids. End a cell with it."""
    bank = bank or load_bank()
    if ids:
        by_id = bank.by_id()
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise ValueError(f"unknown question id(s) {missing}; see helpers/dp100lab/exam/data/questions")
        pool = [by_id[i] for i in ids]
    else:
        pool = select(bank, domain, skill, module, outline=outline)
    if not pool:
        raise ValueError("no questions match that choice yet (see `dp100 coverage`)")
    if store is None:
        from .store import ProgressStore

        store = ProgressStore()
    key = picker.cell_key(module=module, skill=skill, domain=domain, ids=",".join(ids or []), n=n, outline=outline)

    def draw(force: bool = False) -> Quiz:
        cell = picker.load_cell(store, key)
        by_id = bank.by_id()
        if cell and not force and not picker.finished(cell) and all(q in by_id for q in cell["qids"]):
            qs = [by_id[q] for q in cell["qids"]]  # unfinished: the same cards, answers restored
        else:
            avoid = cell["qids"] if cell else ()
            qs = pool if ids else (shuffled(pool, n, seed) if seed is not None else
                                   picker.pick(bank, store, pool, n, module, outline, avoid))
            cell = picker.new_cell(qs, seed)
            picker.save_cell(store, key, cell)
        return Quiz(qs, bank, store, widgets, input_fn, out, cell=cell, key=key, redraw=draw)

    qz = draw()
    if not _in_kernel():
        qz.show()  # plain Python: nothing will call _ipython_display_
    return qz
