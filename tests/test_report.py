"""The Snakemake report of the tiny workflow, rendered in headless Chromium (issue 16).

The tiny run (tests/test_workflow.py's config: a few hundred SST sentences, one BiLSTM) builds
the foundation's tables and figure; ``snakemake --report`` packs them. Chromium then loads the
report with a probe script appended: for every result the report holds, it opens the item as
the report's own button does (``app.setView``), waits for the report to show it, and checks
that a figure decodes to an image (naturalWidth > 0) and that a table is an HTML page (shown
inline in an iframe, not a ``data:text/markdown`` download link) whose DOM holds a <table>
with a header and at least one row. The probe writes its findings into the DOM, which
``--dump-dom`` returns. Skips with a reason where Debian's ``chromium`` is absent (CI installs
it in .ci/run).
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.test_workflow import foundation_targets, small_config

pytestmark = pytest.mark.workflow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOT = os.environ.get("SEAT_REPORT_SCREENSHOT")  # where to keep the landing page's screenshot

PROBE = """
<script>
(async function () {
  const out = {figures: [], tables: [], other: [], categories: Object.keys(categories)};
  const wait = (ms) => new Promise(r => setTimeout(r, ms));
  for (let i = 0; i < 100 && typeof app === "undefined"; i++) await wait(100);  // React
  for (const [path, entry] of Object.entries(results)) {
    const mime = entry.mime_type;
    if (mime.startsWith("image/")) {
      app.setView({content: "img", contentPath: entry.data_uri, resultPath: path});
      let img = null;
      for (let i = 0; i < 50 && !(img && img.complete); i++) {
        await wait(100);
        img = document.querySelector("img[src='" + entry.data_uri + "']");
      }
      out.figures.push({path: path, width: img ? img.naturalWidth : 0,
                        caption: entry.caption.length});
    } else if (mime === "text/html") {
      app.setView({content: "html", contentPath: entry.data_uri, resultPath: path});
      await wait(200);
      const frame = [...document.querySelectorAll("iframe")].some(f => f.src === entry.data_uri);
      const doc = new DOMParser().parseFromString(await (await fetch(entry.data_uri)).text(),
                                                  "text/html");
      const table = doc.querySelector("table");
      out.tables.push({path: path, iframe: frame, table: !!table,
                       header: table ? table.querySelectorAll("thead th").length : 0,
                       rows: table ? table.querySelectorAll("tbody tr").length : 0,
                       caption: entry.caption.length});
    } else {
      out.other.push({path: path, mime: mime});
    }
  }
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def run(*args, env=None, timeout=900):
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"{args[:4]}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; "
                    ".ci/run installs it)")
    work = tmp_path_factory.mktemp("report")
    cfg = small_config(work)
    name = cfg["experiments"]["datasets"][0]
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    targets = foundation_targets(name)
    targets += [t[:-3] + ".html" for t in targets if t.endswith(".md")]
    env = {k: v for k, v in os.environ.items() if k != "SEAT_DATA_MIRROR"}
    base = [sys.executable, "-m", "snakemake", *targets, "--cores", "2", "--snakefile",
            str(REPO / "Snakefile"), "--directory", str(work), "--configfile",
            str(work / "config.yaml")]
    run(*base, env=env)
    run(*base, "--report", str(work / "report.html"), env=env)
    return work, targets


def chromium(*args, timeout=120):
    return run(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", *args, timeout=timeout)


def test_every_figure_loads_and_every_table_renders_as_a_table(report):
    work, targets = report
    page = work / "report.html"
    probed = work / "probed.html"
    text = page.read_text()
    end = text.rfind("</body>")
    probed.write_text(text[:end] + PROBE + text[end:])
    dom = chromium("--virtual-time-budget=60000", "--dump-dom", probed.as_uri()).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    out = json.loads(html.unescape(found.group(1)))
    want_figures = sorted(t for t in targets if t.endswith(".png"))
    want_tables = sorted(t for t in targets if t.endswith(".html"))
    assert sorted(f["path"] for f in out["figures"]) == want_figures
    assert sorted(t["path"] for t in out["tables"]) == want_tables
    assert out["other"] == []  # no Markdown download links left
    for fig in out["figures"]:
        assert fig["width"] > 100 and fig["caption"] > 0, fig
    for tab in out["tables"]:
        assert tab["iframe"] and tab["table"] and tab["header"] >= 2 and tab["rows"] >= 1, tab
        assert tab["caption"] > 0, tab
    assert out["categories"] == ["1. Data", "2. Models"]
    print(f"report DOM: {len(out['figures'])}/{len(want_figures)} figures, "
          f"{len(out['tables'])}/{len(want_tables)} tables")


def test_landing_page_states_the_claims(report):
    work, _ = report
    shot = Path(SHOT) if SHOT else work / "landing.png"
    chromium("--window-size=1400,1800", "--virtual-time-budget=20000",
             f"--screenshot={shot}", (work / "report.html").as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = chromium("--virtual-time-budget=20000", "--dump-dom",
                   (work / "report.html").as_uri()).stdout
    for claim in ("Jain &amp; Wallace", "Wiegreffe &amp; Pinter", "SEAT", "AttAttr"):
        assert claim in dom, claim


def test_markdown_table_becomes_an_html_table():
    from html.parser import HTMLParser

    import pandas as pd

    from seatlib.markdown import to_markdown
    from seatlib.report_tables import markdown_table_html

    df = pd.DataFrame({"model": ["bilstm-tanh", "a<b"], "tau": [0.25, float("nan")]})
    page = markdown_table_html("# Title & more\n\n" + to_markdown(df))

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.cells, self.tag = [], None

        def handle_starttag(self, tag, attrs):
            self.tag = (tag, dict(attrs).get("class"))

        def handle_data(self, data):
            if self.tag and self.tag[0] in ("th", "td", "h2") and data.strip():
                self.cells.append((*self.tag, data))

    p = Cells()
    p.feed(page)
    assert p.cells == [("h2", None, "Title & more"), ("th", None, "model"), ("th", None, "tau"),
                       ("td", None, "bilstm-tanh"), ("td", "num", "0.2500"), ("td", None, "a<b"),
                       ("td", "num", "nan")]
    with pytest.raises(ValueError, match="^table row 1 has 3 cells, the header 2$"):
        markdown_table_html("| a | b |\n|---|---|\n| 1 | 2 | 3 |\n")
    with pytest.raises(ValueError, match="expected a Markdown pipe table"):
        markdown_table_html("# only a title\n")
    # two tables of different widths under headings (the triggers table): both, in order
    two = ("# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n## The patterns\n\nsome text\n\n"
           "| x | y | z |\n|---|---|---|\n| p | 3 | q |\n")
    p = Cells()
    p.feed(markdown_table_html(two))
    assert [c[2] for c in p.cells] == ["T", "a", "b", "1", "2", "x", "y", "z", "p", "3", "q"]
    assert "<h3>The patterns</h3><p class='caption'>some text</p>" in markdown_table_html(two)
    with pytest.raises(ValueError, match="^table 2: table row 1 has 2 cells, the header 3$"):
        markdown_table_html(two.replace("| p | 3 | q |", "| p | 3 |"))
