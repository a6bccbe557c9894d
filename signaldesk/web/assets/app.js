/* signaldesk dashboard: vanilla JS, draws SVG from window.SIGNALDESK (data.js). Shows the engine's
   judgement and the data behind it; it computes no signal. All data text goes in via textContent. */
(function () {
  "use strict";
  var D = window.SIGNALDESK || { assessment: {}, history: {}, scores: [], units: {} };
  var A = D.assessment || {};
  var LANGS = [["zh-CN", "简体"], ["zh-TW", "繁體"], ["en", "EN"]];
  var WORDS = {
    "zh-CN": { score: "综合评分", phase: "市场阶段", stance: "今日策略", coverage: "覆盖率", asOf: "数据日期",
      indicators: "指标", scoreHistory: "综合评分历史", levels: "支撑与阻力", support: "支撑", resistance: "阻力",
      watch: "未来24小时观察", missing: "缺失与过期", none: "无", noHistory: "没有历史数据", demo: "演示数据",
      all: "全部", footer: "signaldesk 仪表盘 · 数据与判断来自 signals.json · 不构成财务建议", stale: "过期" },
    "zh-TW": { score: "綜合評分", phase: "市場階段", stance: "今日策略", coverage: "覆蓋率", asOf: "資料日期",
      indicators: "指標", scoreHistory: "綜合評分歷史", levels: "支撐與壓力", support: "支撐", resistance: "壓力",
      watch: "未來24小時觀察", missing: "缺失與過期", none: "無", noHistory: "沒有歷史資料", demo: "示範資料",
      all: "全部", footer: "signaldesk 儀表板 · 資料與判斷來自 signals.json · 不構成財務建議", stale: "過期" },
    "en": { score: "Composite score", phase: "Phase", stance: "Stance", coverage: "Coverage", asOf: "As of",
      indicators: "Indicators", scoreHistory: "Score history", levels: "Support and resistance", support: "Support",
      resistance: "Resistance", watch: "Watch in the next 24 h", missing: "Missing and stale", none: "none",
      noHistory: "no history", demo: "Demo data", all: "All",
      footer: "signaldesk dashboard · data and judgements from signals.json · not financial advice", stale: "stale" }
  };
  var RANGES = [[90, "90d"], [365, "1y"], [0, "all"]];
  var NS = "http://www.w3.org/2000/svg";
  var state = { lang: pickLang(), selected: null, range: 365 };

  function pickLang() {
    var fromHash = (window.location.hash || "").replace("#", "");
    for (var i = 0; i < LANGS.length; i++) { if (LANGS[i][0] === fromHash) { return fromHash; } }
    return "zh-CN";
  }
  function w(key) { return WORDS[state.lang][key]; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function pick(map, fallback) {
    if (map && typeof map === "object" && map[state.lang] !== undefined) { return map[state.lang]; }
    return fallback;
  }
  function key(ind) { return ind.entity ? ind.id + ":" + ind.entity : ind.id; }

  /* Number formatting by the metric's unit (catalog), for axes and tooltips. */
  function compact(v, prefix) {
    var a = Math.abs(v), s = v < 0 ? "-" : "", units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
    for (var i = 0; i < units.length; i++) {
      if (a >= units[i][0]) { var x = a / units[i][0]; return s + prefix + x.toFixed(x < 10 ? 2 : 1) + units[i][1]; }
    }
    return s + prefix + (a >= 100 ? a.toFixed(0) : a.toFixed(2));
  }
  function fmt(metric, v) {
    if (v === null || v === undefined || !isFinite(v)) { return "—"; }
    var unit = (D.units || {})[metric] || "";
    if (unit.indexOf("USD") === 0) { return compact(v, "$"); }
    if (unit.indexOf("fraction") >= 0) { return (v * 100).toFixed(Math.abs(v) < 0.001 && v !== 0 ? 4 : 2) + "%"; }
    if (unit === "0-100") { return v.toFixed(0); }
    if (unit === "gwei") { return v.toFixed(2) + " Gwei"; }
    if (Math.abs(v) >= 1000) { return compact(v, ""); }
    return Number(v.toPrecision(4)).toString();
  }

  function renderLangs() {
    var box = document.getElementById("langs");
    clear(box);
    LANGS.forEach(function (pair) {
      var b = el("button", pair[0] === state.lang ? "on" : "", pair[1]);
      b.type = "button";
      b.addEventListener("click", function () { state.lang = pair[0]; window.location.hash = pair[0]; render(); });
      box.appendChild(b);
    });
    document.documentElement.lang = state.lang;
    Array.prototype.forEach.call(document.querySelectorAll("[data-word]"), function (node) {
      node.textContent = w(node.getAttribute("data-word"));
    });
  }

  function card(label, value, cls) {
    var c = el("div", "card " + (cls || ""));
    c.appendChild(el("div", "k", label));
    c.appendChild(el("div", "v", value));
    return c;
  }

  function renderSummary() {
    var box = document.getElementById("summary");
    clear(box);
    var band = A.band || "unknown";
    box.appendChild(card(w("score"), A.score === null || A.score === undefined ? "—" : Math.round(A.score) + "/100", "score band-" + band));
    box.appendChild(card(w("phase"), pick(A.phase_name, A.phase || "—")));
    box.appendChild(card(w("stance"), pick(A.stance_name, A.stance || "—")));
    box.appendChild(card(w("coverage"), A.coverage === undefined || A.coverage === null ? "—" : Math.round(A.coverage * 100) + "%"));
    var date = card(w("asOf"), A.as_of || "—");
    if (A.demo) { date.appendChild(el("span", "demo", w("demo"))); }
    box.appendChild(date);
  }

  function renderIndicators() {
    var body = document.getElementById("indicators");
    clear(body);
    (A.indicators || []).forEach(function (ind) {
      var tr = el("tr", key(ind) === state.selected ? "sel" : "");
      var dot = el("td");
      dot.appendChild(el("span", "dot " + ind.state));
      tr.appendChild(dot);
      var name = el("td");
      name.appendChild(el("div", "", pick(ind.label, key(ind))));
      name.appendChild(el("div", "reason", pick(ind.reasons, ind.reason || "")));
      tr.appendChild(name);
      var value = ind.display || fmt(ind.id, ind.value);
      tr.appendChild(el("td", "", ind.stale ? value + " (" + w("stale") + ")" : value));
      tr.appendChild(el("td", "pct", ind.percentile === null || ind.percentile === undefined ? "—" : "P" + Math.round(ind.percentile * 100)));
      tr.setAttribute("data-key", key(ind));
      tr.addEventListener("click", function () { state.selected = key(ind); render(); });
      body.appendChild(tr);
    });
  }

  function renderRanges() {
    var box = document.getElementById("ranges");
    clear(box);
    RANGES.forEach(function (r) {
      var b = el("button", r[0] === state.range ? "on" : "", r[0] === 0 ? w("all") : r[1]);
      b.type = "button";
      b.addEventListener("click", function () { state.range = r[0]; render(); });
      box.appendChild(b);
    });
  }

  function cut(points) {
    if (!points || !points.length || !state.range) { return points || []; }
    var end = new Date(points[points.length - 1][0] + "T00:00:00Z").getTime();
    var start = end - state.range * 86400000;
    return points.filter(function (p) { return new Date(p[0] + "T00:00:00Z").getTime() > start; });
  }

  /* A line chart with optional horizontal bands and a hover read-out. */
  function lineChart(node, points, opts) {
    clear(node);
    var box = node.viewBox.baseVal, W = box.width, H = box.height, L = 62, R = 12, T = 10, B = 26;
    if (!points.length) {
      node.appendChild(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "class": "empty" }, w("noHistory")));
      return;
    }
    var ts = points.map(function (p) { return new Date(p[0] + "T00:00:00Z").getTime(); });
    var vs = points.map(function (p) { return p[1]; });
    var lo = opts.min !== undefined ? opts.min : Math.min.apply(null, vs);
    var hi = opts.max !== undefined ? opts.max : Math.max.apply(null, vs);
    if (hi === lo) { hi = lo + 1; lo = lo - 1; }
    var pad = opts.min !== undefined ? 0 : (hi - lo) * 0.06;
    lo -= pad; hi += pad;
    var t0 = ts[0], t1 = ts[ts.length - 1] === t0 ? t0 + 86400000 : ts[ts.length - 1];
    function X(t) { return L + (t - t0) / (t1 - t0) * (W - L - R); }
    function Y(v) { return T + (hi - v) / (hi - lo) * (H - T - B); }
    (opts.bands || []).forEach(function (b) {
      node.appendChild(svg("rect", { x: L, y: Y(b[1]), width: W - L - R, height: Math.max(0, Y(b[0]) - Y(b[1])), fill: b[2], opacity: 0.12 }));
    });
    var raw = (hi - lo) / 4, mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), step = mag;
    [1, 2, 2.5, 5, 10].forEach(function (m) { if (m * mag <= raw * 1.5) { step = m * mag; } });
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      var y = Y(v);
      node.appendChild(svg("line", { x1: L, x2: W - R, y1: y, y2: y, "class": "axis" }));
      node.appendChild(svg("text", { x: L - 6, y: y + 3, "text-anchor": "end", "class": "tick" }, opts.format(v)));
    }
    [0, Math.floor(points.length / 2), points.length - 1].forEach(function (j, n) {
      node.appendChild(svg("text", { x: X(ts[j]), y: H - 8, "text-anchor": n === 0 ? "start" : n === 2 ? "end" : "middle", "class": "tick" }, points[j][0]));
    });
    var d = points.map(function (p, j) { return (j ? "L" : "M") + X(ts[j]).toFixed(1) + "," + Y(p[1]).toFixed(1); }).join("");
    node.appendChild(svg("path", { d: d, "class": opts.cls || "line" }));
    var cross = svg("line", { y1: T, y2: H - B, "class": "cross", visibility: "hidden" });
    var dot = svg("circle", { r: 3.5, fill: "#1f2933", visibility: "hidden" });
    node.appendChild(cross);
    node.appendChild(dot);
    var tip = document.getElementById("tooltip");
    var hit = svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "transparent" });
    hit.addEventListener("mousemove", function (ev) {
      var rect = node.getBoundingClientRect();
      var t = t0 + ((ev.clientX - rect.left) / rect.width * W - L) / (W - L - R) * (t1 - t0);
      var j = 0;
      while (j < ts.length - 1 && ts[j + 1] <= t) { j++; }
      if (j < ts.length - 1 && t - ts[j] > ts[j + 1] - t) { j++; }
      cross.setAttribute("x1", X(ts[j])); cross.setAttribute("x2", X(ts[j])); cross.setAttribute("visibility", "visible");
      dot.setAttribute("cx", X(ts[j])); dot.setAttribute("cy", Y(vs[j])); dot.setAttribute("visibility", "visible");
      tip.textContent = points[j][0] + "  " + opts.format(vs[j]);
      tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY - 28) + "px"; tip.hidden = false;
    });
    hit.addEventListener("mouseleave", function () {
      tip.hidden = true; cross.setAttribute("visibility", "hidden"); dot.setAttribute("visibility", "hidden");
    });
    node.appendChild(hit);
  }

  function renderCharts() {
    var inds = A.indicators || [];
    if (!state.selected && inds.length) {
      var first = inds.filter(function (i) { return D.history[key(i)]; })[0] || inds[0];
      state.selected = key(first);
    }
    var ind = inds.filter(function (i) { return key(i) === state.selected; })[0];
    var title = document.getElementById("chart-title");
    title.textContent = ind ? pick(ind.label, key(ind)) : w("indicators");
    var metric = ind ? ind.id : "";
    lineChart(document.getElementById("indicator-chart"), cut(D.history[state.selected] || []),
              { format: function (v) { return fmt(metric, v); } });
    var bands = A.bands;  // the day's edges as the engine judged them (signals.json always has them)
    lineChart(document.getElementById("score-chart"), cut(D.scores || []), {
      min: 0, max: 100, cls: "score", format: function (v) { return v.toFixed(0); },
      bands: bands ? [[0, bands.bearish_below, "#dc2626"], [bands.bullish_above, 100, "#16a34a"]] : []
    });
  }

  function renderLists() {
    var levels = document.getElementById("levels");
    clear(levels);
    [["support", w("support")], ["resistance", w("resistance")]].forEach(function (side) {
      ((A.levels || {})[side[0]] || []).forEach(function (z) {
        var div = el("div", "zone");
        var span = z.low !== undefined && z.high !== undefined && z.high - z.low > 0.5
          ? "$" + Math.round(z.low).toLocaleString("en-US") + "–" + Math.round(z.high).toLocaleString("en-US")
          : "$" + Math.round(z.price).toLocaleString("en-US");
        div.appendChild(el("b", "", side[1] + " " + span));
        var whys = pick(z.whys, z.why);
        div.appendChild(el("div", "reason", Array.isArray(whys) ? whys.join("; ") : (whys || "")));
        levels.appendChild(div);
      });
    });
    if (!levels.firstChild) { levels.appendChild(el("div", "reason", w("none"))); }
    var watch = document.getElementById("watch");
    clear(watch);
    (A.watchlist || []).forEach(function (item) { watch.appendChild(el("li", "", pick(item.texts, item.text || item.id))); });
    if (!watch.firstChild) { watch.appendChild(el("li", "reason", w("none"))); }
    var missing = document.getElementById("missing");
    clear(missing);
    (A.missing || []).forEach(function (m) {  // the reason's class in words; raw error text stays in signals.json
      missing.appendChild(el("li", "", (m.entity ? m.id + ":" + m.entity : m.id) + " — " + pick(m.gaps, "")));
    });
    (A.indicators || []).filter(function (i) { return i.stale; }).forEach(function (i) {
      missing.appendChild(el("li", "", key(i) + " — " + w("stale")));
    });
    if (!missing.firstChild) { missing.appendChild(el("li", "reason", w("none"))); }
  }

  function render() {
    renderLangs();
    renderSummary();
    renderIndicators();
    renderRanges();
    renderCharts();
    renderLists();
  }

  render();
})();
