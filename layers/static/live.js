/* geo_risk web map: the live map (issue 15) on top of map.js.
 *
 * An EventSource on /api/v1/alarms/stream (Server-Sent Events: "snapshot" with the alarms that matter now,
 * then one "alarm" per change; public payload {key, sensor_id, enterprise_id, unit_id, kind, priority, state,
 * active, ts}) keeps the alarm list; each event (debounced) asks GET /api/v1/live/enterprises again, which
 * answers every enterprise's stored and live four-colour class (raised while an alarm is active), the reason
 * and the units in alarm with their location. Drawn in an overlay of its own (on by default; the alarm panel's
 * check box shows and hides it — it is not a registry layer, so not in the switcher or the permalink),
 * without a reload:
 *   - every enterprise with alarms as a dot filled with its LIVE colour (a quiet one is as stored: not drawn);
 *     a raised one larger, with a dashed ring in its stored colour and the reason in its popup (analysts also
 *     see the live inventory, S and R beside the stored grade);
 *   - units in alarm outlined in their worst priority's colour, pulsing while an alarm is unacknowledged.
 * The alarm panel (bottom right, foldable) lists the alarms, worst first; with an API key (the map's key,
 * see map.js) it offers 确认 Acknowledge and 搁置 Shelve (1 h), whose answers come back over the stream.
 *
 * For tests: window.geoRiskLive = {state: {connected, alarms (key → payload), enterprises (id → answer row),
 * units (unit id → answer row), events, refreshes, lastDrawnAt}, unitMarkers (unit id → L.CircleMarker),
 * enterpriseMarkers, refresh(), layer}.
 */
(function () {
  "use strict";

  var map = window.geoRiskMap;
  var control = window.geoRiskLayerControl;
  if (!map || !control || window.geoRiskStatic) return; // the static file has no server to ask

  var CONFIG = window.GEO_RISK_CONFIG || {};
  var API = CONFIG.api_base || "/api/v1";
  var LIVE = CONFIG.live || {};
  var KINDS = LIVE.kinds || {};
  var PRIORITIES = LIVE.priorities || {};
  var STATES = LIVE.states || {};
  var COLOURS = LIVE.colours || {};
  var PRIORITY_ORDER = ["critical", "high", "medium", "low"];
  var SHORT = { red: "红 red", orange: "橙 orange", yellow: "黄 yellow", blue: "蓝 blue" };
  var PRIORITY_STROKE = { critical: "#b71c1c", high: "#e65100", medium: "#f9a825", low: "#607d8b" };
  var SHOWN_STATES = { unack_active: 1, ack_active: 1, rtn_unack: 1, shelved: 1 };
  var REFRESH_MS = 150;
  var headers = window.geoRiskApiHeaders || function (h) { return h; };

  var state = { connected: false, alarms: {}, enterprises: {}, units: {}, events: 0, refreshes: 0,
                lastDrawnAt: null, error: null, tier: null };

  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function bi(pair, fallback) {
    pair = pair || [fallback, fallback];
    return '<span class="zh">' + esc(pair[0]) + '</span> <span class="en">' + esc(pair[1]) + "</span>";
  }
  function num(v, d) {
    return typeof v === "number" ? v.toLocaleString("zh-CN", { maximumFractionDigits: d === undefined ? 1 : d }) : "—";
  }
  function colourHex(c) { return (COLOURS[c] || ["#9e9e9e"])[0]; }

  // -- the overlay ---------------------------------------------------------------------------------
  var pane = map.createPane("gr-live");
  pane.style.zIndex = "640"; // above every registry layer (410 + index), below popups (700)
  var layer = L.layerGroup();
  var entLayer = L.layerGroup().addTo(layer);
  var unitLayer = L.layerGroup().addTo(layer);
  var entMarkers = {};
  var unitMarkers = {};
  // Not in the layer switcher (its check boxes are the permalink's registry layers): the alarm panel's own
  // check box shows and hides it.
  layer.addTo(map);

  function enterprisePopup(e) {
    var rows = [
      [["原定分级", "Stored class"], bi([(COLOURS[e.stored_colour] || [])[1], (COLOURS[e.stored_colour] || [])[2]],
                                         e.stored_colour)],
      [["实时分级", "Live class"], '<i class="gr-dot" style="background:' + esc(colourHex(e.live_colour)) + '"></i>' +
        bi([(COLOURS[e.live_colour] || [])[1], (COLOURS[e.live_colour] || [])[2]], e.live_colour)],
      [["活动报警", "Active alarms"], esc(e.active_alarms) + (e.worst_priority ? " · " +
        bi(PRIORITIES[e.worst_priority], e.worst_priority) : "")]
    ];
    var html = '<div class="gr-popup gr-live-popup"><div class="gr-popup-layer">' + esc(e.name) +
      ' <span class="gr-code">(' + esc(e.id) + ")</span></div><table>" +
      rows.map(function (r) { return "<tr><th>" + bi(r[0]) + "</th><td>" + r[1] + "</td></tr>"; }).join("") +
      "</table>" + '<div class="gr-live-reason">' + esc(e.reason) + "</div>";
    if (e.live && e.live.length) { // analysts only: the API sends null below
      html += '<table class="gr-live-units"><tr><th>' + bi(["单元", "Unit"]) + "</th><th>" + bi(["液位", "Level"]) + "</th><th>" +
        bi(["实时存量", "live"]) + " t</th><th>S</th><th>R</th><th>" + bi(["级别", "grade"]) + "</th></tr>";
      e.live.forEach(function (u) {
        var live = u.items.reduce(function (s, i) { return s + (i.live_t || 0); }, 0);
        html += "<tr><td>" + esc(u.unit_id) + (u.overfill ? ' <b class="gr-err">超量储存</b>' : "") + "</td><td>" +
          num(u.level_pct) + " %</td><td>" + num(live) + "</td><td>" + num(u.live_s, 2) + " <span class=\"en\">(" +
          num(u.stored_s, 2) + ")</span></td><td>" + num(u.live_r, 1) + ' <span class="en">(' + num(u.stored_r, 1) +
          ")</span></td><td>" + esc(u.stored_grade === null ? "—" : u.stored_grade) + "</td></tr>";
      });
      html += '</table><div class="gr-popup-hint">' + bi(["实时 S、R 为运行指标，括号内为定级值；定级不变",
        "live S and R are an operational indicator, stored values in brackets; the grade is unchanged"]) + "</div>";
    }
    return html + "</div>";
  }

  function unitPopup(u) {
    var items = u.alarms.map(function (a) {
      return "<li>" + '<span class="gr-prio gr-prio-' + esc(a.priority) + '">' + esc((PRIORITIES[a.priority] ||
        [a.priority])[0]) + "</span>" + esc(a.key) + " · " + bi(KINDS[a.kind], a.kind) + " · " +
        bi(STATES[a.state], a.state) + (a.message ? '<div class="gr-popup-hint">' + esc(a.message) + "</div>" : "") +
        "</li>";
    }).join("");
    return '<div class="gr-popup gr-live-popup"><div class="gr-popup-layer">' + bi(["报警单元", "Unit in alarm"]) +
      " " + esc(u.unit_name || u.unit_id) + ' <span class="gr-code">(' + esc(u.unit_id) + ')</span></div><ul class="gr-live-list">' +
      items + "</ul></div>";
  }

  function draw(answer) {
    state.tier = answer.tier;
    var seenE = {}, seenU = {};
    (answer.enterprises || []).forEach(function (e) {
      state.enterprises[e.id] = e;
      // drawn while it has alarms (or is raised): a quiet enterprise is as stored, nothing to add
      if (e.lat === null || e.lon === null || !(e.active_alarms > 0 || e.raised)) return;
      seenE[e.id] = true;
      var style = { pane: "gr-live", radius: e.raised ? 9 : 4.5, weight: e.raised ? 3 : 1,
                    color: e.raised ? colourHex(e.stored_colour) : "#263238", opacity: 0.95,
                    fillColor: colourHex(e.live_colour), fillOpacity: 0.95,
                    className: "gr-live-ent" + (e.raised ? " gr-live-raised" : "") };
      var m = entMarkers[e.id];
      if (!m) {
        m = entMarkers[e.id] = L.circleMarker([e.lat, e.lon], style).addTo(entLayer);
        m.bindPopup(function () { return enterprisePopup(state.enterprises[e.id]); }, { maxWidth: 620, minWidth: 300 });
      } else {
        m.setStyle(style);
        m.setRadius(style.radius);
        var el = m.getElement && m.getElement();
        if (el) el.setAttribute("class", "leaflet-interactive " + style.className);
      }
      m.grLive = e;
      if (e.raised) m.bringToFront();
    });
    Object.keys(entMarkers).forEach(function (id) {
      if (!seenE[id]) { entLayer.removeLayer(entMarkers[id]); delete entMarkers[id]; }
    });
    (answer.units_in_alarm || []).forEach(function (u) {
      state.units[u.unit_id] = u;
      seenU[u.unit_id] = true;
      if (u.lat === null || u.lon === null) return;
      var unack = u.alarms.some(function (a) { return a.state === "unack_active" || a.state === "rtn_unack"; });
      var cls = "gr-live-unit gr-live-" + u.worst_priority + (unack ? " gr-unack" : "");
      var style = { pane: "gr-live", radius: 13, weight: 3, color: PRIORITY_STROKE[u.worst_priority] || "#000",
                    opacity: 1, fill: true, fillOpacity: 0.08, fillColor: PRIORITY_STROKE[u.worst_priority] || "#000",
                    className: cls };
      var m = unitMarkers[u.unit_id];
      if (m) unitLayer.removeLayer(m); // a new element: its class (pulse) follows the state
      m = unitMarkers[u.unit_id] = L.circleMarker([u.lat, u.lon], style).addTo(unitLayer);
      m.bindPopup(function () { return unitPopup(state.units[u.unit_id]); }, { maxWidth: 460, minWidth: 260 });
      m.grLive = u;
    });
    Object.keys(unitMarkers).forEach(function (id) {
      if (!seenU[id]) { unitLayer.removeLayer(unitMarkers[id]); delete unitMarkers[id]; delete state.units[id]; }
    });
    state.lastDrawnAt = Date.now();
    panel.update();
    document.body.dataset.liveDrawn = String(state.refreshes);
  }

  var inflight = null, again = false, timer = null;
  function refresh() {
    if (inflight) { again = true; return inflight; }
    state.refreshes += 1;
    inflight = fetch(API + "/live/enterprises", { headers: headers({ Accept: "application/json" }),
                                                   credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error(b.detail || r.status); return b; }); })
      .then(function (b) { state.error = null; draw(b); }, function (err) { state.error = String(err.message || err); panel.update(); })
      .then(function () {
        inflight = null;
        if (again) { again = false; refresh(); }
      });
    return inflight;
  }
  function scheduleRefresh() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; refresh(); }, REFRESH_MS);
  }

  // -- the stream ------------------------------------------------------------------------------------
  var source = null;
  function connect() {
    if (typeof EventSource === "undefined") { state.error = "EventSource unsupported"; return; }
    source = new EventSource(API + "/alarms/stream");
    // closed with the page: a stream left open holds one of the browser's few connections to this server
    window.addEventListener("pagehide", function () { if (source) source.close(); });
    source.addEventListener("open", function () { state.connected = true; panel.update(); });
    source.addEventListener("error", function () { state.connected = false; panel.update(); });
    source.addEventListener("snapshot", function (ev) {
      state.events += 1;
      var list = [];
      try { list = JSON.parse(ev.data) || []; } catch (e) { list = []; }
      state.alarms = {};
      list.forEach(function (a) { state.alarms[a.key] = a; });
      state.connected = true;
      panel.update();
      scheduleRefresh();
    });
    source.addEventListener("alarm", function (ev) {
      state.events += 1;
      var a = null;
      try { a = JSON.parse(ev.data); } catch (e) { return; }
      if (!a || !a.key) return;
      if (SHOWN_STATES[a.state] || a.active) state.alarms[a.key] = a; else delete state.alarms[a.key];
      panel.update();
      scheduleRefresh();
    });
  }

  // -- the alarm panel ---------------------------------------------------------------------------------
  function sortedAlarms() {
    return Object.keys(state.alarms).map(function (k) { return state.alarms[k]; }).sort(function (a, b) {
      var p = PRIORITY_ORDER.indexOf(a.priority) - PRIORITY_ORDER.indexOf(b.priority);
      if (p) return p;
      return String(b.ts).localeCompare(String(a.ts));
    });
  }

  function act(key, action, body) {
    var h = headers({ Accept: "application/json", "Content-Type": "application/json" });
    return fetch(API + "/alarms/" + encodeURIComponent(key) + "/" + action,
                 { method: "POST", headers: h, body: JSON.stringify(body || {}), credentials: "same-origin" })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (b) {
          if (!r.ok) throw new Error("HTTP " + r.status + " " + (b.detail || ""));
          state.alarms[key] = Object.assign({}, state.alarms[key] || {}, { state: b.state, active: b.active });
          panel.message = null;
          panel.update();
          scheduleRefresh();
          return b;
        });
      }).catch(function (err) { panel.message = String(err.message || err); panel.update(); });
  }

  /** The overlay's key: dots filled with the live class; rings of units in alarm by priority. */
  function legendHtml() {
    var dots = ["red", "orange", "yellow", "blue"].map(function (c) {
      return '<i class="gr-dot" style="background:' + esc(colourHex(c)) + '"></i>' + SHORT[c];
    }).join(" ");
    var rings = PRIORITY_ORDER.slice(0, 3).map(function (p) {
      return '<i class="gr-ring" style="border-color:' + PRIORITY_STROKE[p] + '"></i>' + esc((PRIORITIES[p] || [p])[0]);
    }).join(" ");
    return '<div class="gr-live-legend">' + bi(["企业实时分级", "enterprise live class"]) + "：" + dots +
      '<br><i class="gr-dot gr-dot-raised"></i>' + bi(["虚线环：动态升级（环色为原定级）", "dashed ring: raised (ring: stored class)"]) +
      "<br>" + bi(["报警单元", "units in alarm"]) + "：" + rings + " " + bi(["闪烁：未确认", "pulsing: unacknowledged"]) + "</div>";
  }

  var Panel = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: function () {
      var div = this._div = L.DomUtil.create("div", "gr-live-panel");
      div.id = "gr-live-panel";
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      L.DomEvent.on(div, "change", function (e) {
        if (e.target && e.target.id === "gr-live-show") {
          if (e.target.checked) layer.addTo(map); else map.removeLayer(layer);
        }
      });
      L.DomEvent.on(div, "click", function (e) {
        var t = e.target;
        var btn = t.closest ? t.closest("button[data-action]") : null;
        if (btn) {
          var key = btn.getAttribute("data-key"), action = btn.getAttribute("data-action");
          var body = action === "shelve"
            ? { until: new Date(Date.now() + 3600 * 1000).toISOString(), reason: "web map: shelved for 1 h" }
            : { reason: "web map" };
          act(key, action, body);
          return;
        }
        if (t.closest && t.closest(".gr-live-title")) L.DomUtil[L.DomUtil.hasClass(div, "gr-folded") ? "removeClass" : "addClass"](div, "gr-folded");
      });
      this.update();
      return div;
    },
    update: function () {
      if (!this._div) return;
      var list = sortedAlarms();
      var canAct = !!(window.geoRiskApiKey && window.geoRiskApiKey());
      var raised = Object.keys(state.enterprises).filter(function (id) { return state.enterprises[id].raised; }).length;
      var parts = ['<div class="gr-live-title" title="点击折叠/展开 Click to fold/unfold">' + bi(["实时报警", "Live alarms"]) +
        " (" + list.length + ')<span class="gr-live-conn ' + (state.connected ? "gr-on" : "gr-off") + '">' +
        (state.connected ? "● 已连接 live" : "○ 未连接 offline") + '</span><span class="gr-legend-fold"></span></div>',
        '<div class="gr-live-body">', '<label class="gr-check"><input type="checkbox" id="gr-live-show"' +
          (map.hasLayer(layer) ? " checked" : "") + ">" + bi(["在地图上显示报警与实时分级", "show alarms and live classes on the map"]) +
          "</label>", legendHtml(),
        '<div class="gr-hint">' + bi(["动态升级企业 " + raised + " 家", raised + " enterprise(s) raised"]) +
        ' · <a href="/alarms" target="_blank">' + bi(["报警管理指标", "alarm figures"]) + "</a></div>"];
      if (this.message) parts.push('<div class="gr-live-msg">' + esc(this.message) + "</div>");
      if (state.error) parts.push('<div class="gr-live-msg">' + esc(state.error) + "</div>");
      if (!list.length) parts.push('<div class="gr-hint">' + bi(["当前无报警", "no alarm now"]) + "</div>");
      parts.push('<ul class="gr-live-list">');
      list.slice(0, 200).forEach(function (a) {
        var acts = "";
        if (canAct) {
          if (a.state === "unack_active" || a.state === "rtn_unack") {
            acts += '<button type="button" data-action="acknowledge" data-key="' + esc(a.key) + '">确认 Ack</button>';
          }
          if (a.state !== "shelved" && a.state !== "suppressed" && a.state !== "out_of_service") {
            acts += '<button type="button" data-action="shelve" data-key="' + esc(a.key) + '">搁置 1 h Shelve</button>';
          }
        }
        parts.push('<li data-key="' + esc(a.key) + '"><span class="gr-prio gr-prio-' + esc(a.priority) + '">' +
          esc((PRIORITIES[a.priority] || [a.priority])[0]) + "</span><b>" + esc(a.key) + "</b> " +
          bi(KINDS[a.kind], a.kind) + '<div class="gr-hint">' + bi(STATES[a.state], a.state) + " · " +
          esc(a.unit_id || "") + (a.enterprise_id ? " · " + esc(a.enterprise_id) : "") + " · " +
          esc(String(a.ts || "").replace("T", " ").slice(0, 19)) + "</div>" +
          (acts ? '<div class="gr-live-actions">' + acts + "</div>" : "") + "</li>");
      });
      parts.push("</ul></div>");
      this._div.innerHTML = parts.join("");
    }
  });
  var panel = new Panel().addTo(map);
  panel.message = null;

  document.addEventListener("georisk:apikey", function () { panel.update(); refresh(); });

  window.geoRiskLive = { state: state, unitMarkers: unitMarkers, enterpriseMarkers: entMarkers, refresh: refresh,
                         layer: layer, panel: panel };
  refresh();
  connect();
})();
