"""A minimal notebook front end inside Pyodide in a Chromium page, for real IPython.

Shipped into Pyodide by source as the module ``mp2notebook`` (tests/test_progress_display.py),
once IPython is installed. :func:`open_notebook` creates IPython's shell
(``InteractiveShell.instance()``, so ``get_ipython()`` is the shell) and gives it a
:class:`PagePublisher`: what IPython publishes (``display``, ``DisplayHandle.update``) is
rendered into the page's DOM the way Jupyter front ends do it: a ``display_data`` message
appends an output to the current cell, its ``text/html`` (else its ``text/plain``) as the
content, and an ``update_display_data`` message (``update=True``) replaces the content of
every output that carries its ``display_id``, and of no other.

:meth:`Notebook.run_cell` runs a cell through IPython itself (``run_cell_async``: top-level
``await``, execution counts, the shell's events), with its code shown as the cell's input.
"""

import html

import js
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

STYLE = """
body { font-family: sans-serif; margin: 16px; background: #fff; }
#status { color: #888; font-size: 11px; }
.cell { border: 1px solid #ddd; border-radius: 4px; margin: 10px 0; width: 760px; }
.cell .input { margin: 0; padding: 6px 8px; background: #f5f5f5; border-bottom: 1px solid #ddd;
               font-size: 13px; white-space: pre-wrap; }
.cell .prompt { color: #307fc1; }
.cell .output { padding: 6px 8px; font-size: 13px; }
.cell .output pre { margin: 0; }
"""


class PagePublisher(DisplayPublisher):
    """IPython's display publisher, writing into the page: one DOM element per output."""

    def __init__(self, shell, notebook):
        super().__init__(shell=shell)
        self.notebook = notebook
        self.by_id = {}  # display_id -> the output elements that show it
        # every publish: {"display_id", "update", "text" (what the page shows), "html"}
        self.log = []

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
        display_id = (transient or {}).get("display_id")
        if "text/html" in data:
            content = data["text/html"]
        else:
            content = f"<pre>{html.escape(data.get('text/plain', ''))}</pre>"
        if update:
            targets = self.by_id.get(display_id, [])  # an unknown display_id: nothing to do
        else:
            element = js.document.createElement("div")
            element.className = "output"
            self.notebook.outputs().appendChild(element)
            targets = [element]
            if display_id is not None:
                self.by_id.setdefault(display_id, []).append(element)
        for element in targets:
            element.innerHTML = content
        shown = targets[0].textContent if targets else None
        self.log.append({"display_id": display_id, "update": update, "text": shown})

    def clear_output(self, wait=False):
        self.notebook.outputs().innerHTML = ""


class Notebook:
    """The page's cells, and IPython's shell publishing into them."""

    def __init__(self, title):
        document = js.document
        style = document.createElement("style")
        style.textContent = STYLE
        document.head.appendChild(style)
        heading = document.createElement("h3")
        heading.textContent = title
        self.root = document.createElement("main")
        self.root.id = "notebook"
        document.body.appendChild(heading)
        document.body.appendChild(self.root)
        self.shell = InteractiveShell.instance()
        self.publisher = PagePublisher(self.shell, self)
        self.shell.display_pub = self.publisher
        self._cell = None

    def outputs(self):
        if self._cell is None:
            self.new_cell("")
        return self._cell.querySelector(".outputs")

    def new_cell(self, code):
        document = js.document
        cell = document.createElement("section")
        cell.className = "cell"
        count = self.shell.execution_count
        prompt = f'<span class="prompt">In [{count}]:</span>'
        cell.innerHTML = (
            f'<pre class="input">{prompt} {html.escape(code)}</pre><div class="outputs"></div>'
        )
        self.root.appendChild(cell)
        self._cell = cell
        return cell

    async def run_cell(self, code):
        """Run ``code`` as a notebook cell through IPython; raise what the cell raised."""
        self.new_cell(code)
        transformed = self.shell.transform_cell(code)  # as run_cell does before it
        result = await self.shell.run_cell_async(
            code, store_history=True, transformed_cell=transformed
        )
        result.raise_error()
        return result.result


def open_notebook(title):
    return Notebook(title)


def shown(selector, within=None):
    """The text of each line (child element) of every element matching ``selector``, in the
    page or ``within`` one of its elements."""
    found = (within or js.document).querySelectorAll(selector)
    return [[line.textContent for line in element.children] for element in found]


def shown_by_cell(selector):
    """:func:`shown` for each cell of the notebook, in order."""
    return [shown(selector, cell) for cell in js.document.querySelectorAll(".cell")]
