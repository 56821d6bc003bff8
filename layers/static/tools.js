/* geo_risk web map: the decision tools (issue 14) on top of map.js.
 *
 * 1. 选址论证 Siting check: draw a site (a point, or a polygon: click the corners, double-click or
 *    "完成 Finish" to close it) or upload a GeoJSON file; a sensitive development (GB 36894 kind,
 *    population) or a hazardous project (unit type, inventory rows: chemical, max quantity t, state);
 *    POST /api/v1/siting-check. The verdict (colour-coded), the 一票否决 statement, the reasons with
 *    their rule ids and evidence, the site, contours and reason geometries on the map; the HTML and
 *    PDF reports; a 422 shown next to the field it names ("population: …" → the population input).
 * 2. 搬迁方案 Relocation: the stored plan's summary, its map layer ("relocation" of the registry) on
 *    and off, and "显示方案效果 Show the plan's effect" (a scenario of every case).
 * 3. Before/after scenarios: after a hazardous project's check (and from the relocation pane)
 *    POST /api/v1/scenarios; the IR raised / lowered areas, the after contours and the conflicts
 *    added / removed as overlays in the layer switcher with their own legend, the F-N PNG in the panel.
 *
 * Requests carry the API key typed into the panel (X-API-Key; kept in sessionStorage only). Below the
 * analyst tier the API withholds the figures: the panel says so instead of drawing them.
 *
 * A small hand-written draw interaction instead of a plugin (Leaflet.draw is unmaintained since 2018
 * and Leaflet-Geoman brings far more than a point and a polygon): nothing more to vendor.
 *
 * For tests: window.geoRiskTools = {setSite, check, report, scenario, planEffect, state, layers, open,
 * updateLegend (after adding or removing a result layer other than through the switcher)}. Its state:
 * siting ("idle" | "running" | "done" | "error"), result (the last answer), error (the last error
 * body), scenario (idem), scenarioResult, fnLoaded.
 */
(function () {
  "use strict";

  var map = window.geoRiskMap;
  var control = window.geoRiskLayerControl;
  if (!map || !control || window.geoRiskStatic) return; // the static file has no server to ask

  var CONFIG = window.GEO_RISK_CONFIG || {};
  var API = CONFIG.api_base || "/api/v1";
  var CHOICES = CONFIG.siting || {};
  var KINDS = (CONFIG.value_labels || {}).kind || {};
  var IR_COLOURS = CHOICES.ir_contours || {};

  var VERDICTS = {
    advise_against: { cls: "gr-v-red", zh: "不予通过", en: "advise against" },
    conditional: { cls: "gr-v-orange", zh: "有条件通过", en: "conditional" },
    no_objection: { cls: "gr-v-green", zh: "通过", en: "no objection" }
  };
  var UNIT_TYPES = { production: ["生产单元", "production"], storage: ["储存单元", "storage"] };
  var STATES = {
    gas: ["气态", "gas"], liquefied_pressurized: ["加压液化", "liquefied, pressurised"],
    liquefied_refrigerated: ["低温液化", "liquefied, refrigerated"], liquid: ["液态", "liquid"], solid: ["固态", "solid"]
  };
  var SCENARIO_STYLE = {
    raised: { colour: "#d7301f", zh: "风险升高越过等值线", en: "IR raised across a level" },
    lowered: { colour: "#2166ac", zh: "风险降低越过等值线", en: "IR lowered across a level" },
    after: { colour: "#6a51a3", zh: "情景后个人风险等值线", en: "IR contours after" },
    added: { colour: "#e7298a", zh: "新增冲突", en: "conflicts added" },
    removed: { colour: "#1b9e77", zh: "消除的冲突", en: "conflicts removed" }
  };

  var state = { siting: "idle", result: null, error: null, scenario: "idle", scenarioResult: null, fnLoaded: false,
                site: null };

  // -- helpers ------------------------------------------------------------------------------------
  function esc(v) {
    return String(v === null || v === undefined ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function bi(zh, en) {
    return '<span class="zh">' + esc(zh) + '</span> <span class="en">' + esc(en) + "</span>";
  }
  function el(html) {
    var d = document.createElement("div");
    d.innerHTML = html.trim();
    return d.firstChild;
  }
  function num(v, digits) {
    return typeof v === "number" ? v.toLocaleString("zh-CN", { maximumFractionDigits: digits === undefined ? 1 : digits }) : esc(v);
  }

  var KEY_STORE = "geoRiskApiKey";
  function apiKey() {
    try { return window.sessionStorage.getItem(KEY_STORE) || ""; } catch (e) { return ""; }
  }
  function headers(json) {
    var h = { Accept: json ? "application/json" : "*/*" };
    var k = apiKey();
    if (k) h["X-API-Key"] = k;
    return h;
  }

  /** POST ``body`` as JSON; resolves {ok, status, data} (data: the JSON answer or error body). */
  function postJson(url, body) {
    var h = headers(true);
    h["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", headers: h, body: JSON.stringify(body), credentials: "same-origin" })
      .then(function (r) {
        return r.text().then(function (t) {
          var data = null;
          try { data = t ? JSON.parse(t) : null; } catch (e) { data = { detail: t.slice(0, 300) }; }
          return { ok: r.ok, status: r.status, data: data };
        });
      });
  }

  /** A binary answer as a Blob; rejects with the API's message. */
  function fetchBlob(url, opts) {
    opts = Object.assign({ headers: headers(false), credentials: "same-origin" }, opts || {});
    return fetch(url, opts).then(function (r) {
      if (r.ok) return r.blob();
      return r.text().then(function (t) {
        var msg = t;
        try { msg = JSON.parse(t).detail || t; } catch (e) { /* text */ }
        throw new Error("HTTP " + r.status + " " + msg);
      });
    });
  }

  function saveBlob(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // -- result layers (in the layer switcher) -------------------------------------------------------
  function pane(name, z) {
    var p = map.createPane(name);
    p.style.zIndex = String(z);
    return name;
  }
  pane("gr-tool-scenario", 600);
  pane("gr-tool-result", 610);
  pane("gr-tool-site", 620);

  var layers = {
    site: L.featureGroup(),
    result: L.featureGroup(),
    raised: L.featureGroup(),
    lowered: L.featureGroup(),
    after: L.featureGroup(),
    added: L.featureGroup(),
    removed: L.featureGroup()
  };
  var TITLES = {
    site: ["选址：场址", "Siting: the site"],
    result: ["选址论证结果（等值线、目标、距离）", "Siting check result (contours, targets, distances)"],
    raised: ["情景：风险升高区", "Scenario: IR raised"],
    lowered: ["情景：风险降低区", "Scenario: IR lowered"],
    after: ["情景：情景后等值线", "Scenario: contours after"],
    added: ["情景：新增冲突", "Scenario: conflicts added"],
    removed: ["情景：消除的冲突", "Scenario: conflicts removed"]
  };
  var inControl = {};
  function showLayer(id) {
    if (!inControl[id]) {
      control.addOverlay(layers[id], TITLES[id][0] + " " + TITLES[id][1]);
      inControl[id] = true;
    }
    if (!map.hasLayer(layers[id])) layers[id].addTo(map);
  }
  function dropLayer(id) {
    layers[id].clearLayers();
    if (inControl[id]) {
      control.removeLayer(layers[id]);
      inControl[id] = false;
    }
    if (map.hasLayer(layers[id])) map.removeLayer(layers[id]);
  }

  function irColour(props) {
    var c = IR_COLOURS[props.level_label];
    return c ? c[0] : "#7f7f7f";
  }

  // -- the tools' legend (bottom right): the result layers on the map ------------------------------
  var ToolLegend = L.Control.extend({
    options: { position: "bottomright" },
    onAdd: function () {
      this._div = L.DomUtil.create("div", "gr-legend gr-tools-legend leaflet-bar");
      L.DomEvent.disableClickPropagation(this._div);
      this.update();
      return this._div;
    },
    update: function () {
      if (!this._div) return;
      var rows = [];
      function row(colour, zh, en, line) {
        rows.push('<div class="gr-legend-row"><i class="gr-tool-swatch' + (line ? " gr-tool-swatch-line" : "") +
          '" style="' + (line ? "border-top-color:" : "background:") + esc(colour) + '"></i>' + bi(zh, en) + "</div>");
      }
      if (map.hasLayer(layers.site) && layers.site.getLayers().length) row("#111111", "拟建场址", "proposed site");
      if (map.hasLayer(layers.result) && layers.result.getLayers().length) {
        resultLevels.forEach(function (label) {
          var c = IR_COLOURS[label];
          row(irColour({ level_label: label }), c ? c[1] : label, c ? c[2] : label);
        });
        row("#c62828", "距离不足（目标—单元）", "inside a required distance (target–unit)", true);
        row("#ff6f00", "超出个人风险基准的目标", "target above its IR criterion");
      }
      ["raised", "lowered", "after", "added", "removed"].forEach(function (id) {
        if (map.hasLayer(layers[id]) && layers[id].getLayers().length) {
          var s = SCENARIO_STYLE[id];
          row(s.colour, s.zh, s.en, id === "added" || id === "removed" || id === "after");
        }
      });
      this._div.style.display = rows.length ? "" : "none";
      this._div.innerHTML = '<div class="gr-legend-title">' + bi("决策工具图例", "Decision tools") + "</div>" +
        '<div class="gr-legend-body">' + rows.join("") + "</div>";
    }
  });
  var toolLegend = new ToolLegend().addTo(map);
  // the switcher's toggles (not "layeradd": it fires for every feature the main layers draw)
  map.on("overlayadd overlayremove", function () { toolLegend.update(); });

  // -- the panel -----------------------------------------------------------------------------------
  function kindOptions() {
    return Object.keys(KINDS).map(function (k) {
      return '<option value="' + esc(k) + '"' + (k === "school" ? " selected" : "") + ">" + esc(KINDS[k][0]) + " " +
        esc(KINDS[k][1]) + "</option>";
    }).join("");
  }
  function unitTypeOptions() {
    return (CHOICES.unit_types || ["production", "storage"]).map(function (k) {
      var l = UNIT_TYPES[k] || [k, k];
      return '<option value="' + esc(k) + '"' + (k === "storage" ? " selected" : "") + ">" + esc(l[0]) + " " +
        esc(l[1]) + "</option>";
    }).join("");
  }
  function stateOptions() {
    return '<option value="">—</option>' + (CHOICES.inventory_states || Object.keys(STATES)).map(function (k) {
      var l = STATES[k] || [k, k];
      return '<option value="' + esc(k) + '">' + esc(l[0]) + " " + esc(l[1]) + "</option>";
    }).join("");
  }
  function lab(zh, en) {
    return '<span class="gr-label">' + bi(zh, en) + "</span>";
  }
  function err(field) {
    return '<div class="gr-field-error" data-err="' + esc(field) + '" role="alert"></div>';
  }

  var PANEL = [
    '<div class="gr-tools" id="gr-tools">',
    '<div class="gr-tools-tabs">',
    '<button type="button" data-tab="siting" id="gr-tab-siting">' + bi("选址论证", "Siting check") + "</button>",
    '<button type="button" data-tab="relocation" id="gr-tab-relocation">' + bi("搬迁方案", "Relocation") + "</button>",
    '<button type="button" data-tab="" class="gr-tools-fold" title="收起 Fold">×</button>',
    "</div>",
    '<div class="gr-tools-pane" data-pane="siting">',
    '<label class="gr-row">' + lab("API 密钥（可选）", "API key (optional)") +
      '<input type="password" id="gr-api-key" autocomplete="off" placeholder="X-API-Key"></label>',
    '<label class="gr-row">' + lab("名称", "Name") + '<input type="text" id="gr-s-name" data-field="name" maxlength="200" ' +
      'placeholder="拟建项目 / proposed site"></label>' + err("name"),
    '<div class="gr-row gr-row-wide"><span class="gr-label">' + bi("场址", "Site") + "</span>",
    '<div class="gr-buttons"><button type="button" id="gr-draw-point">' + bi("画点", "Point") + "</button>",
    '<button type="button" id="gr-draw-polygon">' + bi("画多边形", "Polygon") + "</button>",
    '<button type="button" id="gr-draw-finish" hidden>' + bi("完成", "Finish") + "</button>",
    '<label class="gr-upload">' + bi("上传 GeoJSON", "Upload GeoJSON") +
      '<input type="file" id="gr-upload" accept=".geojson,.json,application/geo+json,application/json"></label>',
    '<button type="button" id="gr-site-clear">' + bi("清除", "Clear") + "</button></div>",
    '<div class="gr-hint" id="gr-site-status">' + bi("未选择场址：画点、画多边形或上传文件", "no site yet: draw or upload one") +
      "</div>" + err("site") + "</div>",
    '<div class="gr-direction"><span class="gr-label">' + bi("论证方向", "Direction") + "</span>",
    '<label><input type="radio" name="gr-direction" value="development" checked>' +
      bi("拟建敏感目标（学校、住宅…）", "a sensitive development") + "</label>",
    '<label><input type="radio" name="gr-direction" value="project">' + bi("拟建危险化学品项目", "a hazardous project") +
      "</label></div>",
    '<fieldset id="gr-development"><legend>' + bi("敏感目标", "Development") + "</legend>",
    '<label class="gr-row">' + lab("类型（GB 36894）", "Kind (GB 36894)") + '<select id="gr-s-kind" data-field="kind">' +
      kindOptions() + "</select></label>" + err("kind"),
    '<label class="gr-row">' + lab("人口", "Population") + '<input type="number" id="gr-s-population" data-field="population" ' +
      'step="any" placeholder="760"></label>' + err("population"),
    "</fieldset>",
    '<fieldset id="gr-project" hidden><legend>' + bi("危险化学品项目", "Hazardous project") + "</legend>",
    '<label class="gr-row">' + lab("单元类型", "Unit type") + '<select id="gr-s-unit-type" data-field="unit_type">' +
      unitTypeOptions() + "</select></label>" + err("unit_type"),
    '<table class="gr-inventory"><thead><tr><th>' + bi("危险化学品", "Chemical") + "</th><th>" + bi("最大存量 t", "Max t") +
      "</th><th>" + bi("相态", "State") + '</th><th></th></tr></thead><tbody id="gr-inventory-rows"></tbody></table>',
    err("inventory"),
    '<button type="button" id="gr-inventory-add">' + bi("+ 添加一行", "+ add a row") + "</button>",
    '<label class="gr-check"><input type="checkbox" id="gr-s-scenario" checked>' +
      bi("同时运行前后对比情景", "also run the before/after scenario") + "</label>",
    "</fieldset>",
    err("request"),
    '<div class="gr-buttons"><button type="button" class="gr-primary" id="gr-s-submit">' + bi("开始论证", "Check") +
      "</button></div>",
    '<div id="gr-s-result" class="gr-result" aria-live="polite"></div>',
    '<div id="gr-scenario" class="gr-result" aria-live="polite"></div>',
    "</div>",
    '<div class="gr-tools-pane" data-pane="relocation" hidden>',
    '<label class="gr-check"><input type="checkbox" id="gr-r-layer">' + bi("在地图上显示搬迁方案图层", "show the plan's layer") +
      "</label>",
    '<div id="gr-r-summary" class="gr-hint"></div>',
    '<div class="gr-buttons"><button type="button" class="gr-primary" id="gr-r-effect">' +
      bi("显示方案效果", "Show the plan's effect") + "</button></div>",
    '<div id="gr-r-scenario" class="gr-result" aria-live="polite"></div>',
    "</div>",
    "</div>"
  ].join("");

  var Tools = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      var div = L.DomUtil.create("div", "gr-tools-wrap leaflet-bar");
      div.innerHTML = PANEL;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    }
  });
  new Tools().addTo(map);
  var root = document.getElementById("gr-tools");
  function $(id) { return document.getElementById(id); }

  function open(tab) {
    root.querySelectorAll(".gr-tools-pane").forEach(function (p) { p.hidden = p.dataset.pane !== tab; });
    root.querySelectorAll(".gr-tools-tabs button").forEach(function (b) {
      b.classList.toggle("gr-active", !!tab && b.dataset.tab === tab);
    });
    root.classList.toggle("gr-open", !!tab);
    // the layers' legend (bottom left) folds while a pane is open: the pane takes the left column
    var legend = document.querySelector(".gr-legend:not(.gr-tools-legend)");
    if (legend && tab) legend.classList.add("gr-folded");
    if (tab === "relocation") loadPlan();
  }
  root.querySelectorAll(".gr-tools-tabs button").forEach(function (b) {
    b.addEventListener("click", function () { open(b.dataset.tab); });
  });
  open("");

  $("gr-api-key").value = apiKey();
  $("gr-api-key").addEventListener("change", function () {
    try { window.sessionStorage.setItem(KEY_STORE, this.value.trim()); } catch (e) { /* private mode */ }
  });

  function direction() {
    return root.querySelector('input[name="gr-direction"]:checked').value;
  }
  root.querySelectorAll('input[name="gr-direction"]').forEach(function (r) {
    r.addEventListener("change", function () {
      $("gr-development").hidden = direction() !== "development";
      $("gr-project").hidden = direction() !== "project";
    });
  });

  // -- inventory rows ------------------------------------------------------------------------------
  function addRow(chemical, quantity, st) {
    var tbody = $("gr-inventory-rows");
    var k = tbody.children.length;
    var tr = el('<table><tbody><tr data-row="' + k + '">' +
      '<td><input type="text" data-field="inventory[' + k + '].chemical" placeholder="甲烷，天然气">' +
      err("inventory[" + k + "].chemical") + "</td>" +
      '<td><input type="number" step="any" data-field="inventory[' + k + '].max_quantity_t" placeholder="t">' +
      err("inventory[" + k + "].max_quantity_t") + "</td>" +
      '<td><select data-field="inventory[' + k + '].state">' + stateOptions() + "</select>" +
      err("inventory[" + k + "].state") + "</td>" +
      '<td><button type="button" class="gr-row-del" title="删除 Remove">−</button></td></tr></tbody></table>')
      .querySelector("tr");
    tr.querySelector('[data-field$=".chemical"]').value = chemical || "";
    tr.querySelector('[data-field$=".max_quantity_t"]').value = quantity === undefined ? "" : quantity;
    tr.querySelector("select").value = st || "";
    tr.querySelector(".gr-row-del").addEventListener("click", function () {
      tr.remove();
      renumber();
    });
    tbody.appendChild(tr);
  }
  function renumber() {
    Array.prototype.forEach.call($("gr-inventory-rows").children, function (tr, k) {
      tr.dataset.row = k;
      tr.querySelectorAll("[data-field],[data-err]").forEach(function (n) {
        ["field", "err"].forEach(function (a) {
          if (n.dataset[a]) n.dataset[a] = n.dataset[a].replace(/^inventory\[\d+\]/, "inventory[" + k + "]");
        });
      });
    });
  }
  $("gr-inventory-add").addEventListener("click", function () { addRow(); });
  addRow();

  function inventoryRows() {
    var rows = [];
    Array.prototype.forEach.call($("gr-inventory-rows").children, function (tr) {
      var chem = tr.querySelector('[data-field$=".chemical"]').value.trim();
      var q = tr.querySelector('[data-field$=".max_quantity_t"]').value;
      var st = tr.querySelector("select").value;
      var row = { chemical: chem };
      if (q !== "") row.max_quantity_t = Number(q);
      if (st) row.state = st;
      rows.push(row);
    });
    return rows;
  }

  // -- the site: draw a point or a polygon, or upload GeoJSON --------------------------------------
  var drawing = null; // {mode, vertices, preview}
  function siteStatus(html) { $("gr-site-status").innerHTML = html; }

  function setSite(geometry, fit) {
    state.site = geometry;
    layers.site.clearLayers();
    if (!geometry) {
      siteStatus(bi("未选择场址：画点、画多边形或上传文件", "no site yet: draw or upload one"));
      dropLayer("site");
      toolLegend.update();
      return;
    }
    L.geoJSON(geometry, {
      pane: "gr-tool-site",
      style: function () { return { color: "#111111", weight: 3, fillColor: "#ffffff", fillOpacity: 0.25, dashArray: "6 4" }; },
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { pane: "gr-tool-site", radius: 9, color: "#111111", weight: 3, fillColor: "#ffeb3b",
                                    fillOpacity: 1 });
      }
    }).addTo(layers.site);
    showLayer("site");
    var t = geometry.type;
    var text = t === "Point" ? geometry.coordinates[1].toFixed(5) + "°N, " + geometry.coordinates[0].toFixed(5) + "°E"
      : t + "（" + (t === "Polygon" ? geometry.coordinates[0].length - 1 : "") + " 个顶点 vertices）";
    siteStatus(bi("场址", "site") + "：" + esc(text));
    if (fit) {
      var b = layers.site.getBounds();
      if (b.isValid()) map.fitBounds(b, { maxZoom: 15, padding: [40, 40], animate: false });
    }
    toolLegend.update();
  }

  function stopDrawing() {
    if (!drawing) return;
    map.off("click", onDrawClick);
    map.off("dblclick", onDrawDblClick);
    map.doubleClickZoom.enable();
    if (drawing.preview) map.removeLayer(drawing.preview);
    map.getContainer().classList.remove("gr-drawing");
    $("gr-draw-finish").hidden = true;
    drawing = null;
  }
  function onDrawClick(e) {
    if (!drawing) return;
    var ll = e.latlng.wrap();
    if (drawing.mode === "point") {
      stopDrawing();
      setSite({ type: "Point", coordinates: [ll.lng, ll.lat] });
      return;
    }
    drawing.vertices.push([ll.lng, ll.lat]);
    var lls = drawing.vertices.map(function (v) { return [v[1], v[0]]; });
    if (drawing.preview) map.removeLayer(drawing.preview);
    drawing.preview = L.polyline(lls.concat(lls.length > 2 ? [lls[0]] : []), { pane: "gr-tool-site", color: "#111111",
                                                                              dashArray: "4 4", weight: 2 }).addTo(map);
    siteStatus(bi("已选 " + drawing.vertices.length + " 个顶点，双击或点“完成”", drawing.vertices.length +
      " corner(s): double-click or Finish"));
  }
  function finishPolygon() {
    if (!drawing || drawing.mode !== "polygon") return;
    var v = drawing.vertices.slice();
    stopDrawing();
    if (v.length < 3) {
      siteStatus(bi("多边形至少需要 3 个顶点", "a polygon needs at least 3 corners"));
      return;
    }
    setSite({ type: "Polygon", coordinates: [v.concat([v[0]])] });
  }
  function onDrawDblClick(e) {
    L.DomEvent.stop(e);
    // the double-click's two clicks added the same corner twice
    if (drawing && drawing.vertices.length > 1) {
      var a = drawing.vertices[drawing.vertices.length - 1], b = drawing.vertices[drawing.vertices.length - 2];
      if (Math.abs(a[0] - b[0]) < 1e-9 && Math.abs(a[1] - b[1]) < 1e-9) drawing.vertices.pop();
    }
    finishPolygon();
  }
  function startDrawing(mode) {
    stopDrawing();
    drawing = { mode: mode, vertices: [], preview: null };
    map.getContainer().classList.add("gr-drawing");
    map.on("click", onDrawClick);
    if (mode === "polygon") {
      map.doubleClickZoom.disable();
      map.on("dblclick", onDrawDblClick);
      $("gr-draw-finish").hidden = false;
      siteStatus(bi("在地图上依次点击多边形顶点", "click the polygon's corners on the map"));
    } else {
      siteStatus(bi("在地图上点击场址位置", "click the site on the map"));
    }
  }
  $("gr-draw-point").addEventListener("click", function () { startDrawing("point"); });
  $("gr-draw-polygon").addEventListener("click", function () { startDrawing("polygon"); });
  $("gr-draw-finish").addEventListener("click", finishPolygon);
  $("gr-site-clear").addEventListener("click", function () { stopDrawing(); setSite(null); });

  /** The geometry of a GeoJSON text (a geometry, a Feature or a FeatureCollection's first feature). */
  function geometryOf(obj) {
    if (!obj || typeof obj !== "object") return null;
    if (obj.type === "FeatureCollection") return obj.features && obj.features.length ? geometryOf(obj.features[0]) : null;
    if (obj.type === "Feature") return obj.geometry || null;
    return obj.coordinates ? obj : null;
  }
  $("gr-upload").addEventListener("change", function () {
    var file = this.files && this.files[0];
    if (!file) return;
    var reader = new FileReader();
    reader.onload = function () {
      clearErrors();
      var g = null;
      try { g = geometryOf(JSON.parse(String(reader.result))); } catch (e) { g = null; }
      if (!g) {
        showError("site", "文件不是 GeoJSON 几何 / the file holds no GeoJSON geometry: " + file.name);
        return;
      }
      setSite(g, true);
    };
    reader.readAsText(file);
    this.value = "";
  });

  // -- errors at the field they name ----------------------------------------------------------------
  function clearErrors() {
    root.querySelectorAll(".gr-field-error").forEach(function (n) { n.textContent = ""; n.classList.remove("gr-shown"); });
    root.querySelectorAll(".gr-invalid").forEach(function (n) {
      n.classList.remove("gr-invalid");
      n.removeAttribute("aria-invalid");
    });
  }
  /** Show ``message`` at the slot of ``field`` (else its parent path: inventory[0].x → inventory[0] → inventory). */
  function showError(field, message) {
    var f = field;
    var slot = null;
    while (f) {
      slot = root.querySelector('[data-err="' + f + '"]');
      if (slot) break;
      var cut = Math.max(f.lastIndexOf("."), f.lastIndexOf("["));
      f = cut > 0 ? f.slice(0, cut) : "";
    }
    if (!slot) {
      slot = root.querySelector('[data-err="request"]');
      f = "request";
    }
    slot.textContent = (slot.textContent ? slot.textContent + " · " : "") + message;
    slot.classList.add("gr-shown");
    var input = root.querySelector('[data-field="' + f + '"]');
    if (input) {
      input.classList.add("gr-invalid");
      input.setAttribute("aria-invalid", "true");
    }
    return f;
  }
  /** The field named at the head of an API message ("population: …"), else null. */
  function fieldOf(detail) {
    var m = /^([A-Za-z_][\w]*(\[\d+\])?(\.[A-Za-z_]\w*(\[\d+\])?)*): /.exec(String(detail || ""));
    return m ? m[1] : null;
  }
  var ROW_FIELDS = ["chemical", "max_quantity_t", "state", "cas", "temperature_c", "pressure_mpa", "vessel_count",
                    "vessel_capacity_t"];
  /**
   * The form field a message is about. The API names an inventory row's field in full
   * ("inventory[0].chemical: …"); a bare field name ("max_quantity_t: …") or a row named only in prose
   * ("item 1: …") is still placed: with one row that row's field, else the inventory as a whole.
   */
  function locate(field, detail) {
    var rows = $("gr-inventory-rows").children.length;
    var project = direction() === "project";
    if (field && project && ROW_FIELDS.indexOf(field) >= 0) return rows === 1 ? "inventory[0]." + field : "inventory";
    if (field) return field;
    if (project && /inventory/.test(detail)) {
      var m = /item (\d+):/.exec(detail);
      return m && Number(m[1]) >= 1 && Number(m[1]) <= rows ? "inventory[" + (Number(m[1]) - 1) + "].chemical"
        : "inventory";
    }
    return "request";
  }
  function showApiError(res) {
    var d = res.data || {};
    var shown = [];
    if (d.problems && d.problems.length) {
      d.problems.forEach(function (p) {
        var name = String(p.parameter || "").replace(/^body\./, "");
        shown.push(showError(locate(name, ""), (name ? name + ": " : "") + p.reason));
      });
    } else {
      var detail = typeof d.detail === "string" ? d.detail : JSON.stringify(d.detail || d);
      shown.push(showError(locate(fieldOf(detail), detail), "HTTP " + res.status + " " + detail));
    }
    return shown;
  }

  // -- the siting check ------------------------------------------------------------------------------
  function request() {
    var body = { site: state.site };
    var name = $("gr-s-name").value.trim();
    if (name) body.name = name;
    if (direction() === "development") {
      body.kind = $("gr-s-kind").value;
      var pop = $("gr-s-population").value;
      if (pop !== "") body.population = Number(pop);
    } else {
      body.unit_type = $("gr-s-unit-type").value;
      body.inventory = inventoryRows();
    }
    return body;
  }

  function check() {
    clearErrors();
    if (!state.site) {
      showError("site", "请先画出或上传场址 / draw or upload a site first");
      return Promise.resolve(null);
    }
    var body = request();
    state.siting = "running";
    state.error = null;
    state.request = body;
    $("gr-s-result").innerHTML = '<div class="gr-hint">' + bi("论证中…", "checking…") + "</div>";
    $("gr-s-submit").disabled = true;
    return postJson(API + "/siting-check", body).then(function (res) {
      $("gr-s-submit").disabled = false;
      if (!res.ok) {
        state.siting = "error";
        state.error = { status: res.status, body: res.data, fields: showApiError(res) };
        $("gr-s-result").innerHTML = "";
        return null;
      }
      state.result = res.data;
      drawResult(res.data);
      state.siting = "done";
      revealResult($("gr-s-result"));
      if (res.data.what === "project" && $("gr-s-scenario").checked) {
        var change = Object.assign({ type: "add_project" }, body);
        scenario({ name: body.name || "选址论证 / siting check", changes: [change] }, $("gr-scenario"));
      }
      return res.data;
    }, function (e) {
      $("gr-s-submit").disabled = false;
      state.siting = "error";
      state.error = { status: 0, body: String(e) };
      showError("request", "请求失败 / request failed: " + e);
      return null;
    });
  }
  $("gr-s-submit").addEventListener("click", function () { check(); });

  /** Scroll the open pane to ``box`` (the pane only: never the map's container). */
  function revealResult(box) {
    var pane = box.closest(".gr-tools-pane");
    if (pane) pane.scrollTop = box.offsetTop - pane.offsetTop - 4;
  }

  function evidenceText(ev) {
    return Object.keys(ev || {}).map(function (k) {
      var v = ev[k];
      if (v === null || v === undefined || typeof v === "object") return null;
      return "<code>" + esc(k) + "</code> " + esc(typeof v === "number" ? num(v, 4) : v);
    }).filter(Boolean).join(" · ");
  }

  function drawResult(r) {
    var v = VERDICTS[r.verdict] || { cls: "", zh: r.verdict, en: "" };
    var byRule = {};
    (r.reasons || []).forEach(function (x) { byRule[x.rule] = (byRule[x.rule] || 0) + 1; });
    var html = ['<div class="gr-verdict ' + v.cls + '" id="gr-verdict" data-verdict="' + esc(r.verdict) + '">' +
      esc(r.verdict_label || (v.zh + " / " + v.en)) + "</div>"];
    if (r.veto_statement) html.push('<div class="gr-veto" id="gr-veto">⚠ ' + esc(r.veto_statement) + "</div>");
    html.push('<div class="gr-hint">' + esc(r.rulebook_version || "") + " · " + bi("用时", "took") + " " +
      num(r.seconds, 2) + " s</div>");
    html.push('<div class="gr-rule-counts">' + Object.keys(byRule).map(function (k) {
      return '<span class="gr-rule-chip">' + esc(k) + " × " + byRule[k] + "</span>";
    }).join(" ") + "</div>");
    html.push('<div class="gr-buttons"><button type="button" id="gr-report-html">' + bi("HTML 报告", "HTML report") +
      '</button><button type="button" id="gr-report-pdf">' + bi("PDF 报告", "PDF report") + "</button></div>" +
      '<div class="gr-field-error" id="gr-report-error"></div>');
    html.push('<ol class="gr-reasons" id="gr-reasons">' + (r.reasons || []).map(function (x, i) {
      return '<li class="gr-reason gr-reason-' + esc(x.kind) + '" data-rule="' + esc(x.rule) + '" data-i="' + i + '">' +
        '<span class="gr-rule-id">' + esc(x.rule) + "</span> " +
        '<span class="gr-rule-kind">' + (x.kind === "veto" ? bi("否决", "veto") : bi("建议", "advisory")) + "</span> " +
        '<div class="gr-reason-text">' + esc(x.text) + "</div>" +
        '<div class="gr-evidence">' + evidenceText(x.evidence) +
        (x.withheld && x.withheld.length ? ' · <span class="gr-withheld">' + bi("分析员可见", "analyst only") + "：" +
          esc(x.withheld.join(", ")) + "</span>" : "") + "</div>" +
        '<div class="gr-cites">' + esc(x.cites || "") + "</div></li>";
    }).join("") + "</ol>");
    if (r.notes && r.notes.length) {
      html.push('<details class="gr-notes" id="gr-notes"' + (r.reasons && r.reasons.length ? "" : " open") + "><summary>" +
        bi("说明（" + r.notes.length + "）", "notes") + "</summary><ul>" + r.notes.map(function (n) {
          return "<li>" + esc(n) + "</li>";
        }).join("") + "</ul></details>");
    }
    $("gr-s-result").innerHTML = html.join("");
    $("gr-report-html").addEventListener("click", function () { report("html"); });
    $("gr-report-pdf").addEventListener("click", function () { report("pdf"); });
    $("gr-reasons").addEventListener("click", function (e) {
      var li = e.target.closest ? e.target.closest("li.gr-reason") : null;
      var lyr = li && reasonLayers[li.dataset.i];
      if (lyr) {
        var b = lyr.getBounds ? lyr.getBounds() : L.latLngBounds([lyr.getLatLng()]);
        map.fitBounds(b.pad(0.3), { maxZoom: 16, animate: false });
        lyr.openPopup && lyr.openPopup();
      }
    });

    // the map: the answer's site, contours and the reasons' geometries
    layers.result.clearLayers();
    reasonLayers = {};
    resultLevels = [];
    if (r.contours && r.contours.features && r.contours.features.length) {
      r.contours.features.forEach(function (f) {
        var label = (f.properties || {}).level_label;
        if (label && resultLevels.indexOf(label) < 0) resultLevels.push(label);
      });
      L.geoJSON(r.contours, {
        pane: "gr-tool-result",
        style: function (f) {
          var c = irColour(f.properties || {});
          return { color: c, weight: 2, fillColor: c, fillOpacity: 0.18 };
        },
        onEachFeature: function (f, l) {
          var p = f.properties || {};
          l.bindPopup('<div class="gr-popup">' + bi("个人风险等值线", "IR contour") + " " + esc(p.level_label) +
            "/a<br>" + esc(p.target_classes || "") + "</div>");
        }
      }).addTo(layers.result);
    }
    (r.reasons || []).forEach(function (x, i) {
      if (!x.geometry) return;
      var line = /LineString/.test(x.geometry.type);
      var g = L.geoJSON(x.geometry, {
        pane: "gr-tool-result",
        style: function () {
          return line ? { color: "#c62828", weight: 2.5, dashArray: "6 5" }
            : { color: "#ff6f00", weight: 2, fillColor: "#ff6f00", fillOpacity: 0.35 };
        },
        pointToLayer: function (f, ll) {
          return L.circleMarker(ll, { pane: "gr-tool-result", radius: 6, color: "#ff6f00", weight: 2, fillColor: "#ff6f00",
                                      fillOpacity: 0.7 });
        }
      });
      g.bindPopup('<div class="gr-popup"><b>' + esc(x.rule) + "</b> " + esc(x.text) + "</div>", { maxWidth: 380 });
      g.addTo(layers.result);
      reasonLayers[i] = g;
    });
    if (r.site) setSite(r.site, false);
    if (layers.result.getLayers().length) showLayer("result");
    else dropLayer("result");
    var b = layers.site.getBounds();
    if (layers.result.getLayers().length) b = b.extend(layers.result.getBounds());
    if (b.isValid()) map.fitBounds(b, { maxZoom: 15, padding: [30, 30], animate: false });
    toolLegend.update();
  }
  var reasonLayers = {};
  var resultLevels = []; // the IR levels of the answer's contours (legend rows)

  function report(fmt) {
    if (!state.request) return Promise.resolve(null);
    var h = headers(false);
    h["Content-Type"] = "application/json";
    $("gr-report-error").textContent = "";
    return fetchBlob(API + "/siting-check?format=" + fmt, { method: "POST", headers: h,
                                                           body: JSON.stringify(state.request) })
      .then(function (blob) {
        state.report = { format: fmt, type: blob.type, size: blob.size };
        saveBlob(blob, "siting-check." + fmt);
        return state.report;
      }, function (e) {
        $("gr-report-error").textContent = String(e.message || e);
        state.report = { format: fmt, error: String(e.message || e) };
        return state.report;
      });
  }

  // -- before/after scenarios ------------------------------------------------------------------------
  function scenario(body, box) {
    ["raised", "lowered", "after", "added", "removed"].forEach(dropLayer);
    toolLegend.update();
    state.scenario = "running";
    state.fnLoaded = false;
    box.innerHTML = '<div class="gr-hint">' + bi("情景计算中…", "running the before/after scenario…") + "</div>";
    return postJson(API + "/scenarios", body).then(function (res) {
      if (!res.ok) {
        state.scenario = "error";
        var d = res.data || {};
        box.innerHTML = '<div class="gr-field-error gr-shown">' + bi("情景失败", "scenario failed") + "：HTTP " +
          res.status + " " + esc(typeof d.detail === "string" ? d.detail : JSON.stringify(d)) + "</div>";
        return null;
      }
      state.scenarioResult = res.data;
      drawScenario(res.data, box);
      state.scenario = "done";
      return res.data;
    }, function (e) {
      state.scenario = "error";
      box.innerHTML = '<div class="gr-field-error gr-shown">' + esc(e) + "</div>";
      return null;
    });
  }

  function conflictPopup(c, added) {
    return '<div class="gr-popup"><b>' + (added ? bi("新增冲突", "added") : bi("消除的冲突", "removed")) + "</b><br>" +
      esc(c.rule_label || c.rule) + "<br>" + esc(c.enterprise_name || c.enterprise_id || "") + " → " +
      esc(c.target_name || c.target_id || "") + (typeof c.actual_distance_m === "number" ? "<br>" +
      bi("距离", "distance") + " " + num(c.actual_distance_m, 0) + " m" : "") + "</div>";
  }

  function drawScenario(s, box) {
    var v = s.verdict || {};
    var html = ['<div class="gr-scenario-head">' + bi("前后对比情景", "Before/after scenario") + " <code>" +
      esc(s.scenario_id) + "</code></div>",
      '<div class="gr-verdict gr-v-' + (v.ir === "lowered" ? "green" : v.ir === "raised" ? "red" : "orange") +
      '" id="gr-scenario-verdict">' + esc(v.ir_label || v.ir) + "</div>",
      '<div class="gr-hint">' + bi("新增冲突", "conflicts added") + " " + num(v.conflicts_added, 0) + " · " +
      bi("消除冲突", "removed") + " " + num(v.conflicts_removed, 0) + " · " + bi("不变", "kept") + " " +
      num(v.conflicts_kept, 0) + "</div>"];
    if (s.people_per_band) {
      html.push('<table class="gr-bands"><tr><th>' + bi("个人风险带", "IR band") + "</th><th>" + bi("之前", "before") +
        "</th><th>" + bi("之后", "after") + "</th><th>" + bi("变化", "change") + "</th></tr>" +
        ["red", "orange", "yellow"].map(function (k) {
          var b = s.people_per_band[k];
          if (!b) return "";
          return "<tr><td>≥ " + esc(b.lower_per_year) + "/a</td><td>" + num(b.before, 0) + "</td><td>" + num(b.after, 0) +
            "</td><td>" + (b.change > 0 ? "+" : "") + num(b.change, 0) + "</td></tr>";
        }).join("") + "</table>");
    }
    if (s.links && s.links.fn_png) {
      html.push('<div class="gr-fn"><div class="gr-hint">' + bi("F-N 曲线（虚线：之前，实线：之后）",
        "F-N curves (dashed: before, solid: after)") + '</div><img id="gr-fn-img" alt="F-N before/after"></div>');
      if (s.links.ir_difference_tif) {
        html.push('<div class="gr-buttons"><button type="button" class="gr-tif">' + bi("下载差异栅格 GeoTIFF",
          "IR difference GeoTIFF") + "</button></div>");
      }
    } else {
      html.push('<div class="gr-hint">' + bi("风险差异图、F-N 曲线与人数需分析员密钥（由库存量推导，受限）",
        "the IR difference, F-N and people need an analyst key (derived from inventory quantities)") + "</div>");
    }
    box.innerHTML = html.join("");
    var tif = box.querySelector(".gr-tif");
    if (tif) {
      tif.addEventListener("click", function () {
        fetchBlob(s.links.ir_difference_tif).then(function (b) { saveBlob(b, "scenario-" + s.scenario_id + ".tif"); });
      });
    }
    if (s.links && s.links.fn_png) {
      // fetched with the key (an <img src> cannot send it) and shown as a data: URL (the page's CSP)
      fetchBlob(s.links.fn_png).then(function (blob) {
        var rd = new FileReader();
        rd.onload = function () {
          var img = box.querySelector("#gr-fn-img");
          if (img) {
            img.onload = function () { state.fnLoaded = true; };
            img.src = String(rd.result);
          }
        };
        rd.readAsDataURL(blob);
      }, function (e) {
        var img = box.querySelector("#gr-fn-img");
        if (img) img.replaceWith(el('<div class="gr-field-error gr-shown">' + esc(e.message || e) + "</div>"));
      });
    }

    // the map: raised / lowered areas, the after contours, conflicts added / removed
    var contours = (s.contours && s.contours.features) || [];
    ["raised", "lowered", "after"].forEach(function (what) {
      var fs = contours.filter(function (f) { return (f.properties || {}).what === what; });
      if (!fs.length) return;
      var colour = SCENARIO_STYLE[what].colour;
      L.geoJSON({ type: "FeatureCollection", features: fs }, {
        pane: "gr-tool-scenario",
        style: function (f) {
          if (what === "after") return { color: irColour(f.properties || {}), weight: 1.5, dashArray: "5 4", fill: false };
          return { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.35 };
        },
        onEachFeature: function (f, l) {
          var p = f.properties || {};
          l.bindPopup('<div class="gr-popup">' + esc(p.label || what) + " " + esc(p.level_label || "") + "/a</div>");
        }
      }).addTo(layers[what]);
      showLayer(what);
    });
    [["added", s.conflicts_added], ["removed", s.conflicts_removed]].forEach(function (pair) {
      var id = pair[0];
      (pair[1] || []).forEach(function (c) {
        if (!c.geometry) return;
        var colour = SCENARIO_STYLE[id].colour;
        L.geoJSON(c.geometry, {
          pane: "gr-tool-scenario",
          style: function () { return { color: colour, weight: 2.5, opacity: 0.9, fillColor: colour, fillOpacity: 0.3 }; },
          pointToLayer: function (f, ll) {
            return L.circleMarker(ll, { pane: "gr-tool-scenario", radius: 5, color: colour, fillColor: colour, fillOpacity: 0.8 });
          }
        }).bindPopup(conflictPopup(c, id === "added")).addTo(layers[id]);
      });
      if (layers[id].getLayers().length) showLayer(id);
    });
    if (box.id === "gr-r-scenario") { // the plan's changes are spread over the city: show where they are
      var b = L.latLngBounds([]);
      ["raised", "lowered", "added", "removed"].forEach(function (id) {
        if (layers[id].getLayers().length) b.extend(layers[id].getBounds());
      });
      if (b.isValid()) map.fitBounds(b, { padding: [30, 30], maxZoom: 15, animate: false });
    }
    toolLegend.update();
  }

  // -- relocation --------------------------------------------------------------------------------------
  var plan = null;
  function relocationLayer() { return (window.geoRiskLayers || {}).relocation || null; }
  function loadPlan() {
    var lyr = relocationLayer();
    $("gr-r-layer").checked = !!lyr && map.hasLayer(lyr);
    $("gr-r-layer").disabled = !lyr;
    if (plan) return Promise.resolve(plan);
    $("gr-r-summary").innerHTML = bi("读取搬迁方案…", "reading the plan…");
    return fetch(API + "/relocation-plan", { headers: headers(true), credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (d) { return { ok: r.ok, status: r.status, data: d }; });
    }).then(function (res) {
      if (!res.ok) {
        $("gr-r-summary").innerHTML = '<span class="gr-field-error gr-shown">HTTP ' + res.status + " " +
          esc((res.data && res.data.detail) || "") + "</span>";
        return null;
      }
      plan = res.data;
      var cases = plan.cases || [];
      $("gr-r-summary").innerHTML = "<div>" + esc(plan.summary || "") + "</div>" + '<ul class="gr-cases">' +
        cases.map(function (c) {
          return '<li><i class="gr-dot" style="background:' + esc(c.colour || "#999") + '"></i>' +
            esc(c.enterprise_name) + " — " + esc(c.outcome_label) + (c.park_name ? " → " + esc(c.park_name) : "") + "</li>";
        }).join("") + "</ul>";
      return plan;
    }, function (e) {
      $("gr-r-summary").textContent = String(e);
      return null;
    });
  }
  $("gr-r-layer").addEventListener("change", function () {
    var lyr = relocationLayer();
    if (!lyr) return;
    if (this.checked) map.addLayer(lyr); else map.removeLayer(lyr);
  });
  function planEffect() {
    return loadPlan().then(function (p) {
      if (!p) return null;
      var cases = (p.cases || []).slice(0, 50);
      if (!cases.length) {
        $("gr-r-scenario").innerHTML = '<div class="gr-hint">' + bi("方案中没有企业", "the plan has no case") + "</div>";
        return null;
      }
      var lyr = relocationLayer();
      if (lyr && !map.hasLayer(lyr)) {
        map.addLayer(lyr);
        $("gr-r-layer").checked = true;
      }
      return scenario({ name: "搬迁方案效果 / the relocation plan's effect", changes: cases.map(function (c) {
        return { type: "relocation_case", enterprise_id: c.enterprise_id };
      }) }, $("gr-r-scenario"));
    });
  }
  $("gr-r-effect").addEventListener("click", function () { planEffect(); });

  window.geoRiskTools = {
    state: state,
    layers: layers,
    open: open,
    setSite: function (g) { setSite(g, true); },
    check: check,
    report: report,
    planEffect: planEffect,
    scenario: function (body) { return scenario(body, $("gr-scenario")); },
    updateLegend: function () { toolLegend.update(); }
  };
})();
