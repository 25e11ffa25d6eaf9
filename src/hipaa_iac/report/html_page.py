"""The evidence page's frame: escaping (`e`, `_script_json`), its style sheet, its script and the document
template (report/html.py fills it). Everything is inline: the page loads no external URL."""
from __future__ import annotations

import json
from html import escape
from typing import Any


def e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def _script_json(data: Any) -> str:
    """JSON safe inside <script>: no '<', '>' or '&' characters can close the element."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_CSS = """
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--alt:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;
--unk:#9a6700;--sup:#6e7781;--accent:#0550ae}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);
margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;border-bottom:2px solid var(--line);padding-bottom:4px;
margin-top:28px}h3{font-size:15px;margin:18px 0 6px}
.lede,.hint,.muted{color:var(--muted)}.hint{margin:4px 0 8px}
nav a{margin-right:10px;color:var(--accent)}nav button{font:inherit;margin-left:4px;padding:2px 8px;
border:1px solid var(--line);border-radius:4px;background:var(--alt);cursor:pointer}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid var(--line);padding:4px 6px;
vertical-align:top;text-align:left}thead th{background:var(--alt)}td.num{text-align:right;
font-variant-numeric:tabular-nums;width:5.5em}
code{font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}code.pid{white-space:nowrap;word-break:normal}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}.facts dt{font-weight:600}
.facts dd{margin:0}
.cards{display:flex;gap:8px;flex-wrap:wrap;margin:10px 0}.card{border:1px solid var(--line);border-radius:6px;
padding:6px 14px;min-width:100px;border-left-width:6px}.card .n{display:block;font-size:22px;font-weight:700}
.card .l{color:var(--muted)}.s-passed{border-left-color:var(--pass)}.s-failed{border-left-color:var(--fail)}
.s-unknown{border-left-color:var(--unk)}.s-suppressed{border-left-color:var(--sup)}.s-errors{border-left-color:#000}
table.by-severity{width:auto}table.by-severity caption{text-align:left;color:var(--muted);padding:4px 0}
.banner{padding:8px 12px;border-radius:6px}.incomplete{background:#fff8c5;border:1px solid #d4a72c}
.matrix tr.row-failed>th.cid{border-left:5px solid var(--fail)}.matrix tr.row-unknown>th.cid{border-left:5px solid var(--unk)}
.matrix tr.row-passed>th.cid{border-left:5px solid var(--pass)}.matrix tr.row-suppressed>th.cid{border-left:5px solid var(--sup)}
.matrix tr.row-none>th.cid{border-left:5px solid var(--line)}
.matrix>tbody>tr.row-failed+tr.drill>td:first-child{border-left:5px solid var(--fail)}
.matrix>tbody>tr.row-unknown+tr.drill>td:first-child{border-left:5px solid var(--unk)}
.matrix>tbody>tr.row-passed+tr.drill>td:first-child{border-left:5px solid var(--pass)}
.matrix>tbody>tr.row-suppressed+tr.drill>td:first-child{border-left:5px solid var(--sup)}
.matrix>tbody>tr.row-none+tr.drill>td:first-child{border-left:5px solid var(--line)}
.matrix>tbody>tr:not(.drill)>th,.matrix>tbody>tr:not(.drill)>td{border-bottom:0}
.c-failed{color:var(--fail);font-weight:600}.c-passed{color:var(--pass)}.c-unknown{color:var(--unk)}
td.zero{color:var(--muted);font-weight:400}th.cid{white-space:nowrap}.matrix td.title{min-width:14em}
.matrix>tbody>tr.drill>td{border-top:0;padding-top:0;padding-bottom:6px}
.matrix>tbody>tr.drill>td:first-child{border-right:0}.matrix>tbody>tr.drill>td+td{border-left:0}details summary{cursor:pointer;color:var(--accent);font-size:12px}
table.inner{font-size:12px;margin-top:4px}table.inner th,table.inner td{padding:2px 4px}
.badge{display:inline-block;border-radius:10px;padding:0 7px;font-size:11px;color:#fff;background:var(--sup)}
.b-passed{background:var(--pass)}.b-failed{background:var(--fail)}.b-unknown{background:var(--unk)}
.b-partial{background:var(--accent)}
.sev-critical{color:#8c0000;font-weight:700}.sev-high{color:var(--fail)}.sev-medium{color:var(--unk)}
.sev-low{color:var(--muted)}
tr.expired td{background:#ffebe9}tr.expired td.expires{color:var(--fail);font-weight:700}
tr.expiring td.expires{color:var(--unk);font-weight:600}
ul.cols{columns:2;column-gap:32px;padding-left:18px}ul.cols li{break-inside:avoid;margin-bottom:2px}
.scroll{overflow-x:auto;max-width:100%}
.verdict{padding:10px 14px;border-radius:6px;border:1px solid var(--line);border-left-width:8px;margin:10px 0}
.v-passed{border-left-color:var(--pass)}.v-failed{border-left-color:var(--fail)}.v-incomplete{border-left-color:#d4a72c}
ol.flat{padding-left:22px}ol.flat li{margin:0 0 10px;break-inside:avoid}ol.flat p{margin:1px 0}
.facts dd,.why,.fix,.where{overflow-wrap:anywhere}
@media (max-width:640px){
 body{padding:8px 10px}h1{font-size:18px}.facts{grid-template-columns:1fr}.facts dd{margin-bottom:4px}
 ul.cols{columns:1}.card{min-width:72px;padding:4px 8px}.matrix td.title{min-width:9em}
 nav a,nav button{display:inline-block;margin:2px 6px 2px 0}
}
footer{margin-top:32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media print{
 body{max-width:none;padding:0;font-size:10.5pt}.no-print,nav{display:none}
 h2{break-after:avoid}tr,li{break-inside:avoid}thead{display:table-header-group}
 #findings,#hipaa-matrix,#nist-matrix,#waivers,#coverage,#policies{break-before:page}
 .scroll{overflow:visible}.verdict{border-width:2px;border-left-width:8px}
 details>summary{list-style:none;color:var(--fg)}a{color:inherit;text-decoration:none}
 tr.expired td{background:none;border:2px solid var(--fail)}
 .badge{color:var(--fg);background:none;border:1px solid var(--fg)}
 @page{margin:14mm}
}
"""

_JS = """
(function(){
  function setAll(open){document.querySelectorAll('details').forEach(function(d){d.open=open;});}
  window.addEventListener('beforeprint',function(){setAll(true);});
  function download(){
    var data=JSON.parse(document.getElementById('report-data').textContent);
    var blob=new Blob([data.csv],{type:'text/csv'});
    var a=document.createElement('a');a.href=URL.createObjectURL(blob);a.download='hipaa-iac-results.csv';
    document.body.appendChild(a);a.click();a.remove();}
  document.querySelectorAll('button[data-action]').forEach(function(b){
    b.addEventListener('click',function(){var act=b.getAttribute('data-action');
      if(act==='expand')setAll(true);else if(act==='collapse')setAll(false);else if(act==='csv')download();});
  });
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
<script type="application/json" id="report-data">{data}</script>
<script>{js}</script>
</body>
</html>
"""
