"""The page's one stylesheet and one script, inline: its Content-Security-Policy allows no other."""

from __future__ import annotations

CSS = """
:root{--bg:#f7f7f5;--fg:#1d1d1f;--muted:#5f6368;--line:#d9d9d6;--card:#fff;
--pass:#1a7f37;--pass-bg:#e3f4e8;--fail:#c62828;--fail-bg:#fde7e7;--dbb:#a35200;
--dbb-bg:#fff0d6;--na:#6b6f76;--na-bg:#eef0f2;--nr:#8a8d91;--wbu:#1f5fbf;--wbu-bg:#e6effb;}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{padding:20px 28px 12px;background:#fff;border-bottom:1px solid var(--line)}
h1{margin:0 0 8px;font-size:22px}
h2{font-size:17px;margin:28px 0 10px}
h3{font-size:15px;margin:0 0 6px;display:flex;align-items:center;gap:8px}
h4{margin:0 0 6px;font-size:13px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
main{padding:0 28px 40px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
font-size:12.5px}
.meta{color:var(--muted);margin:6px 0 0;font-size:12.5px}
.meta code{white-space:pre-wrap;overflow-wrap:anywhere}
.totals{display:flex;flex-wrap:wrap;gap:10px;margin:0}
.total{display:inline-flex;align-items:center;gap:6px;padding:3px 10px;border:1px solid var(--line);
border-radius:999px;background:#fff}
.mark{display:inline-flex;align-items:center;gap:5px;white-space:nowrap}
.sym{display:inline-flex;align-items:center;justify-content:center;width:18px;height:18px;
font-size:12px;font-weight:700;line-height:1;flex:none}
.m-pass .sym{background:var(--pass);color:#fff;border-radius:50%}
.m-fail .sym{background:var(--fail);color:#fff;border-radius:2px}
.m-dbb .sym{background:var(--dbb);color:#fff;clip-path:polygon(50% 0,100% 100%,0 100%);
padding-top:5px;font-size:11px}
.m-na .sym{border:2px solid var(--na);color:var(--na);border-radius:6px;height:14px;width:20px}
.m-nr .sym{border:2px dashed var(--nr);color:var(--nr);border-radius:50%}
.m-inc .sym{border:2px dotted var(--dbb);color:var(--dbb);border-radius:3px}
.m-icp .sym{background:#fff3cd;color:#7a4d00;border:2px solid #7a4d00;border-radius:3px}
.run-incomplete{border:2px solid #7a4d00;background:#fff3cd;padding:8px 12px;border-radius:6px}
.m-wbu .sym{border:2px solid var(--wbu);color:var(--wbu);border-radius:9px 2px;font-size:14px}
.word{font-size:12.5px}
.n{color:var(--muted);font-size:11.5px;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px}
.card{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--pass);
border-radius:8px;padding:14px 16px}
.card.bad{border-left-color:var(--fail)}
.card .pid{overflow-wrap:anywhere;font-size:16px;margin-bottom:4px}
.card .verdict{margin:0 0 10px;font-weight:600}
.card.ok .verdict{color:var(--pass)}.card.bad .verdict{color:var(--fail)}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:0 0 10px;font-size:12.5px}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
.counts{list-style:none;padding:0;margin:0 0 10px;display:flex;flex-wrap:wrap;gap:6px}
.counts li{display:inline-flex;align-items:center;padding:2px 8px 2px 4px;border-radius:6px;
background:var(--bg);border:1px solid var(--line)}
.counts li.zero{opacity:.55}
.label{color:var(--muted);font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;
margin:6px 0 4px}
.caps{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:5px}
.cap{padding:1px 8px;border-radius:999px;background:#eef3fb;border:1px solid #c9d8ef;font-size:12px}
.cap.none{background:none;color:var(--muted)}
.card>p.note{font-size:12.5px;margin:8px 0 0;color:var(--muted)}
.card>p.errors{color:var(--fail);font-weight:600}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:16px;margin:0 0 6px}
.hint{color:var(--muted);margin:4px 0 8px;max-width:900px}
.table-wrap{overflow:auto;max-height:85vh;border:1px solid var(--line);border-radius:8px;
background:#fff}
table.grid{border-collapse:separate;border-spacing:0;min-width:100%}
.grid td.v{min-width:150px}
.grid th,.grid td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;
vertical-align:middle}
.grid thead th{position:sticky;top:0;background:#fff;z-index:2;border-bottom:2px solid var(--line)}
.grid th.prov a{color:inherit;text-decoration:none;font-weight:700}
.grid th.prov .sub{display:block;color:var(--muted);font-weight:400;font-size:11.5px}
.grid th.clause{position:sticky;left:0;background:#fff;z-index:1;font-weight:400;min-width:280px}
.grid thead th.corner{left:0;z-index:3}
.cid{font-weight:700;font-family:ui-monospace,Menlo,Consolas,monospace;display:inline-block;width:44px}
.ctitle{color:#333}
.grid tr.group th{background:var(--bg);font-size:12px;text-transform:uppercase;letter-spacing:.05em;
color:var(--muted);position:static}
td.v{white-space:nowrap}
td.v-pass{background:var(--pass-bg)}td.v-fail{background:var(--fail-bg)}
td.v-dbb{background:repeating-linear-gradient(135deg,var(--dbb-bg) 0 8px,#ffe4b3 8px 16px)}
td.v-na{background:var(--na-bg)}td.v-nr{background:#fff;color:var(--nr)}
td.v-fail .word,td.v-dbb .word{font-weight:700}
a.open{color:inherit;text-decoration:underline dotted;text-underline-offset:3px}
a.open:hover,a.open:focus{text-decoration-style:solid;outline:2px solid #1f6feb;outline-offset:2px}
.capblock{margin:0 0 18px}.capctx{margin:0 0 6px;color:var(--muted);overflow-wrap:anywhere}
table.captable{border-collapse:collapse;width:100%;min-width:760px;table-layout:fixed}
.captable th:nth-child(1){width:19%}.captable th:nth-child(2){width:11%}
.captable th:nth-child(4){width:22%}.captable th:nth-child(5){width:19%}
.captable .mark{white-space:normal}
.captable th,.captable td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top;overflow-wrap:anywhere}
.captable thead th{background:#fff;border-bottom:2px solid var(--line)}
.captable td code{overflow-wrap:anywhere}
td.cv-pass{background:var(--pass-bg)}td.cv-dbb{background:var(--dbb-bg)}
td.cv-wbu{background:var(--wbu-bg)}td.cv-nr{color:var(--nr)}
td.cv-dbb .word,td.cv-wbu .word{font-weight:700}
.js-only{display:none}.js .js-only{display:revert}
details{background:#fff;border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:0 14px}
details[open]{padding-bottom:12px}
details>summary{cursor:pointer;padding:10px 0;list-style-position:inside}
details.fail{border-left:5px solid var(--fail)}
details:target,details.fail:focus-within{box-shadow:0 0 0 3px #1f6feb55}
.provider-failures{margin-bottom:18px}
.check{border-top:1px solid var(--line);padding-top:10px;margin-top:8px}
.msgs{margin:0 0 8px;padding-left:20px}
.msgs li{overflow-wrap:anywhere;white-space:pre-wrap}.msgs li.other{color:var(--muted)}
.repro{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin:6px 0}
.repro .label{margin:0}
.repro code{background:#f1f3f5;border:1px solid var(--line);border-radius:6px;padding:3px 8px;
overflow-wrap:anywhere;flex:1 1 420px}
button.copy,button.toggle{font:inherit;font-size:12px;padding:2px 10px;border:1px solid var(--line);
border-radius:6px;background:#fff;cursor:pointer}
pre.transcript{background:#0f1419;color:#e6e6e6;padding:10px 12px;border-radius:6px;
max-height:28em;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
.cc{color:#ffb86c;background:#3a2a12;border-radius:3px;padding:0 1px}
.gate{border:1px solid var(--line);border-left:6px solid var(--pass);background:#fff;
border-radius:8px;padding:4px 16px 10px;margin-top:20px}
.gate.bad{border-left-color:var(--fail)}
.gate h2{display:flex;align-items:center;gap:8px;margin:12px 0 4px}
.gate-list{list-style:none;padding:0;margin:6px 0}
.gate-list>li{padding:4px 0}
.gate-list .word{font-weight:700}
.gate h2 .word{font-size:17px;font-weight:700}
.filters{display:none;flex-wrap:wrap;align-items:center;gap:8px 16px;margin:0 0 8px;
font-size:12.5px}
.js .filters{display:flex}
.filters select,.filters input{font:inherit;font-size:12.5px;padding:2px 6px;
border:1px solid var(--line);border-radius:6px;background:#fff}
.filters input[type=search]{width:16em}
.grid a.ctitle{color:#333;text-decoration:none}
.grid a.ctitle:hover,.grid a.ctitle:focus{text-decoration:underline}
.grid.compact th.clause{min-width:200px;max-width:300px}
.grid.compact td.v{min-width:0;padding:4px 6px}
.grid.compact .word{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}
.grid.compact th.prov{max-width:112px;padding:6px 6px;font-size:12px}
.grid.compact th.prov a.pname{display:block;overflow:hidden;text-overflow:ellipsis;
white-space:nowrap}
.grid.compact th.prov .sub{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.grid td.dim{opacity:.35}
.grid [hidden],.provider-failures[hidden],details[hidden]{display:none}
.clause-doc p{margin:4px 0;max-width:900px}
.label code{text-transform:none;letter-spacing:0}
.clause-doc .where{color:var(--muted);font-size:12.5px}
@media print{.table-wrap{max-height:none;overflow:visible}details{break-inside:avoid}}
"""


JS = """
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var node = id ? document.getElementById(id) : null;
    if (!node) { return; }
    for (var el = node; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") { el.open = true; }
    }
    node.scrollIntoView({block: "start"});
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.addEventListener("click", function () {
      var code = button.parentNode.querySelector("code");
      var done = function () { button.textContent = "Copied"; };
      var fallback = function () {
        selectText(code);
        button.textContent = "Selected: press Ctrl+C";
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(button.getAttribute("data-copy")).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.toggle"), function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-open") === "true";
      Array.prototype.forEach.call(document.querySelectorAll("details.fail"), function (d) {
        d.open = open;
      });
      button.setAttribute("data-open", open ? "false" : "true");
      button.textContent = open ? "Close every failing clause" : "Open every failing clause";
    });
  });
  var grid = document.getElementById("grid");
  var controls = ["f-verdict", "f-group", "f-provider", "f-search", "hide-unjudged"].map(
    function (id) { return document.getElementById(id); });
  function filter() {
    var verdict = controls[0], group = controls[1].value, provider = controls[2].value;
    var query = controls[3].value.trim().toLowerCase(), unjudged = controls[4].checked;
    var option = verdict.options[verdict.selectedIndex];
    var shows = option.getAttribute("data-show").split(" ").filter(Boolean);
    var found = {};
    each(document.querySelectorAll("details.fail"), function (d) {
      var p = d.getAttribute("data-p"), clause = d.getAttribute("data-clause");
      var text = d.textContent.toLowerCase();
      var hit = !query || text.indexOf(query) >= 0;
      if (hit && query) { found[clause + "@" + p] = true; }
      d.hidden = !((!provider || provider === p) && hit
        && (!group || group === d.getAttribute("data-group"))
        && (!shows.length || shows.indexOf(d.getAttribute("data-v")) >= 0));
    });
    each(document.querySelectorAll(".provider-failures"), function (block) {
      block.hidden = !!provider && block.getAttribute("data-p") !== provider;
    });
    each(grid.querySelectorAll("[data-p]"), function (cell) {
      cell.hidden = !!provider && cell.getAttribute("data-p") !== provider;
    });
    var shown = 0, total = 0, groups = {};
    each(grid.querySelectorAll("tr.clause-row"), function (row) {
      total += 1;
      var clause = row.getAttribute("data-clause"), match = false, any = false;
      each(row.querySelectorAll("td.v"), function (cell) {
        if (cell.hidden) { return; }
        var ok = !shows.length || shows.indexOf(cell.getAttribute("data-v")) >= 0;
        cell.classList.toggle("dim", !ok);
        match = match || ok;
        any = any || !!found[clause + "@" + cell.getAttribute("data-p")];
      });
      var text = !query || row.getAttribute("data-text").indexOf(query) >= 0 || any;
      var visible = match && text && (!group || group === row.getAttribute("data-group"))
        && !(unjudged && row.getAttribute("data-judged") === "0");
      row.hidden = !visible;
      if (visible) { shown += 1; groups[row.getAttribute("data-group")] = true; }
    });
    each(grid.querySelectorAll("tr.group"), function (row) {
      row.hidden = !groups[row.getAttribute("data-group")];
    });
    document.getElementById("f-count").textContent = "showing " + shown + " of " + total +
      " clauses";
    root.setAttribute("data-shown", String(shown));
  }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  if (grid && controls.every(Boolean)) {
    controls.forEach(function (control) {
      control.addEventListener(control.type === "search" ? "input" : "change", filter);
    });
    filter();
  }
  root.setAttribute("data-ready", "true");
})();
"""
