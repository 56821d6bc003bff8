/* geo_risk alarm page (issue 15): the EEMUA 191 / ISA-18.2 figures of GET /api/v1/alarms/metrics over a window
 * (alarms per 10 minutes per area against the benchmarks, flood periods, standing and chattering alarms, the
 * top bad actors and their share, the priority distribution) and the alarms standing now (GET /api/v1/alarms).
 * Requests carry the map's API key (sessionStorage "geoRiskApiKey"). For tests: document.body.dataset.alarmsLoaded
 * is "true" once drawn, "error" on a failure; window.geoRiskAlarms holds the last answers.
 */
(function () {
  "use strict";

  var CONFIG = {};
  try { CONFIG = JSON.parse(document.getElementById("geo-risk-config").textContent || "{}"); } catch (e) { CONFIG = {}; }
  var API = CONFIG.api_base || "/api/v1";
  var LIVE = CONFIG.live || {};
  var KINDS = LIVE.kinds || {}, PRIORITIES = LIVE.priorities || {}, STATES = LIVE.states || {};
  var KEY_STORE = "geoRiskApiKey";

  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function bi(zh, en) { return '<span class="zh">' + esc(zh) + '</span> <span class="en">' + esc(en) + "</span>"; }
  function pair(p, dflt) { p = p || [dflt, dflt]; return bi(p[0], p[1]); }
  function num(v, d) { return typeof v === "number" ? v.toLocaleString("zh-CN", { maximumFractionDigits: d }) : "—"; }
  function apiKey() { try { return sessionStorage.getItem(KEY_STORE) || ""; } catch (e) { return ""; } }
  function getJson(url) {
    var h = { Accept: "application/json" };
    if (apiKey()) h["X-API-Key"] = apiKey();
    return fetch(url, { headers: h, credentials: "same-origin" }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (b) {
        if (!r.ok) throw new Error("HTTP " + r.status + " " + ((b && b.detail) || ""));
        return b;
      });
    });
  }

  var keyField = document.getElementById("gr-map-key");
  keyField.value = apiKey();
  keyField.addEventListener("change", function () {
    try { sessionStorage.setItem(KEY_STORE, keyField.value.trim()); } catch (e) { /* private mode */ }
    load();
  });

  function verdict(value, limit) {
    return value <= limit ? '<span class="gr-ok">✓</span>' : '<span class="gr-err">✗</span>';
  }

  function figuresHtml(m) {
    var b = m.benchmarks || {};
    var bv = function (n) { return b[n] ? b[n].value : null; };
    var all = (m.areas || []).filter(function (a) { return a.area === "*"; })[0] || {};
    var out = ["<h2>" + bi("全部区域", "All areas") + ' <span class="gr-hint">' + esc(m.start) + " → " + esc(m.end) +
      "</span></h2>", '<table class="gr-table" id="gr-summary"><tr><th>' + bi("指标", "Figure") + "</th><th>" +
      bi("数值", "Value") + "</th><th>" + bi("基准", "Benchmark") + "</th><th></th></tr>"];
    function row(label, value, bench, ok, tag) {
      out.push("<tr><td>" + label + "</td><td>" + value + "</td><td>" + bench + (tag ? ' <span class="gr-code">' +
        esc(tag) + "</span>" : "") + "</td><td>" + (ok === null ? "" : ok) + "</td></tr>");
    }
    row(bi("报警总数（已通告）", "Annunciated activations"), num(all.activations, 0), "", null);
    row(bi("平均每 10 分钟报警数", "Average alarms per 10 min"), num(all.average_per_10min, 2),
        "≤ " + num(bv("acceptable_per_10min"), 0) + " " + bi("可接受", "acceptable") + "，≤ " +
        num(bv("manageable_per_10min"), 0) + " " + bi("可管理", "manageable"),
        verdict(all.average_per_10min || 0, bv("acceptable_per_10min")), (b.acceptable_per_10min || {}).tag);
    row(bi("10 分钟峰值", "Peak per 10 min"), num(all.peak_per_10min, 0), "≤ " + num(bv("flood_per_10min"), 0),
        verdict(all.peak_per_10min || 0, bv("flood_per_10min")), (b.flood_per_10min || {}).tag);
    row(bi("报警泛滥时段（>10 次/10 分钟）", "Flood periods (> 10 in 10 min)"),
        num(all.flood_periods, 0) + " / " + num(all.periods, 0) + "（" + num(all.flood_pct, 1) + " %）", "", null);
    row(bi("长期报警（> 24 h）", "Standing alarms (> 24 h)"), num((m.standing || []).length, 0), "0", null,
        (b.standing_after_s || {}).tag);
    row(bi("颤振报警（1 分钟内 ≥ 3 次）", "Chattering alarms (≥ 3 in 1 min)"), num((m.chattering || []).length, 0), "0",
        null, (b.chatter_count || {}).tag);
    row(bi("前 10 名报警占比", "Top-10 share of activations"), num((m.top_share || 0) * 100, 1) + " %",
        "≤ " + num(bv("top10_share_max") * 100, 0) + " %", verdict(m.top_share || 0, bv("top10_share_max")),
        (b.top10_share_max || {}).tag);
    var pr = m.priorities || {};
    row(bi("优先级分布", "Priority distribution"), Object.keys(pr).map(function (p) {
      return esc((PRIORITIES[p] || [p])[0]) + " " + num(pr[p] * 100, 0) + " %";
    }).join("，") || "—", bi("约 低 80 % / 中 15 % / 高 5 %", "≈ low 80 / medium 15 / high 5 %"), null,
        (b.priority_share_low || {}).tag);
    out.push("</table>");
    out.push("<h2>" + bi("各区域", "Per area") + '</h2><table class="gr-table" id="gr-areas"><tr><th>' + bi("区域", "Area") +
      "</th><th>" + bi("报警数", "Activations") + "</th><th>" + bi("平均/10 分钟", "Avg / 10 min") + "</th><th>" +
      bi("峰值", "Peak") + "</th><th>" + bi("泛滥时段", "Flood periods") + "</th><th>" + bi("超可接受时段", "Periods over acceptable") +
      "</th></tr>");
    (m.areas || []).filter(function (a) { return a.area !== "*"; }).sort(function (a, c) {
      return c.activations - a.activations;
    }).slice(0, 50).forEach(function (a) {
      out.push("<tr><td>" + esc(a.area) + "</td><td>" + num(a.activations, 0) + "</td><td>" + num(a.average_per_10min, 2) +
        "</td><td>" + num(a.peak_per_10min, 0) + "</td><td>" + num(a.flood_periods, 0) + "</td><td>" +
        num(a.periods_over_acceptable, 0) + "</td></tr>");
    });
    out.push("</table>");
    out.push("<h2>" + bi("最频繁报警（坏分子）", "Top bad actors") + '</h2><table class="gr-table" id="gr-top"><tr><th>' +
      bi("报警", "Alarm") + "</th><th>" + bi("次数", "Activations") + "</th><th>" + bi("占比", "Share") + "</th></tr>");
    (m.top || []).forEach(function (t) {
      out.push("<tr><td>" + esc(t.key) + "</td><td>" + num(t.activations, 0) + "</td><td>" + num(t.share * 100, 1) +
        " %</td></tr>");
    });
    out.push("</table>");
    [["chattering", "颤振报警", "Chattering alarms"], ["standing", "长期报警", "Standing alarms"]].forEach(function (s) {
      var list = m[s[0]] || [];
      out.push("<h3>" + bi(s[1], s[2]) + " (" + list.length + ")</h3>");
      if (list.length) out.push("<p>" + list.map(function (x) { return esc(x.key); }).join("，") + "</p>");
    });
    return out.join("");
  }

  function nowHtml(list) {
    var out = ["<h2>" + bi("当前报警", "Alarms now") + " (" + list.length + ')</h2><table class="gr-table" id="gr-list"><tr><th>' +
      bi("优先级", "Priority") + "</th><th>" + bi("报警", "Alarm") + "</th><th>" + bi("类型", "Kind") + "</th><th>" +
      bi("状态", "State") + "</th><th>" + bi("企业 / 单元", "Enterprise / unit") + "</th><th>" + bi("变化时间", "Changed") +
      "</th></tr>"];
    list.forEach(function (a) {
      out.push('<tr><td><span class="gr-prio gr-prio-' + esc(a.priority) + '">' + esc((PRIORITIES[a.priority] ||
        [a.priority])[0]) + "</span></td><td>" + esc(a.key) + "</td><td>" + pair(KINDS[a.kind], a.kind) + "</td><td>" +
        pair(STATES[a.state], a.state) + "</td><td>" + esc(a.enterprise_id || "") + " / " + esc(a.unit_id || "") +
        "</td><td>" + esc(String(a.changed_at || "").replace("T", " ").slice(0, 19)) + "</td></tr>");
    });
    out.push("</table>");
    return out.join("");
  }

  var status = document.getElementById("gr-alarms-status");
  function load() {
    document.body.dataset.alarmsLoaded = "pending";
    var hours = Number(document.getElementById("gr-hours").value) || 24;
    var end = new Date(), start = new Date(end.getTime() - hours * 3600 * 1000);
    var q = "?from=" + encodeURIComponent(start.toISOString()) + "&to=" + encodeURIComponent(end.toISOString());
    Promise.all([getJson(API + "/alarms/metrics" + q), getJson(API + "/alarms?limit=1000")]).then(function (res) {
      var m = res[0], list = (res[1] || []).filter(function (a) { return a.state !== "normal"; });
      window.geoRiskAlarms = { metrics: m, alarms: list };
      document.getElementById("gr-figures").innerHTML = figuresHtml(m);
      document.getElementById("gr-now").innerHTML = nowHtml(list);
      status.textContent = "已加载 Loaded " + new Date().toLocaleTimeString("zh-CN");
      document.body.dataset.alarmsLoaded = "true";
    }, function (err) {
      status.innerHTML = '<span class="gr-err">' + esc(err.message || err) + "</span>";
      document.body.dataset.alarmsLoaded = "error";
    });
  }
  document.getElementById("gr-window").addEventListener("submit", function (e) { e.preventDefault(); load(); });
  load();
})();
