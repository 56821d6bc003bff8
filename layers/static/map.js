/* geo_risk web map: the registered layers (GET /api/v1/layers) drawn with Leaflet.
 *
 * Plain Leaflet, no framework. Layers are loaded BY VIEWPORT AND ZOOM from the OGC API of this
 * server, never as whole layers:
 *   - at zoom ≥ a layer's min_zoom: /collections/{id}/items?bbox=<view, padded>&limit=10000
 *     (following `next` links up to MAX_PAGES pages; a notice says when a layer was capped);
 *   - below it: /collections/{id}/hexagons?bbox=…&zoom=<map zoom>, the layer summed into
 *     hexagons, coloured by the aggregate's ramp (or by the style's classes for the "min" of a
 *     classified field such as a hazard source's grade); layers without an aggregate are hidden.
 * Moving or zooming refetches (debounced; older responses are aborted or ignored), except when
 * the new view lies inside the padded box already loaded in the same mode (and, for hexagons, at
 * the same zoom).
 *
 * Static mode (`geo-risk render-map`): the page's configuration carries `static_data` (the
 * registry entries and every feature of each layer); nothing is fetched and features are drawn at
 * every zoom (there are no hexagons without the server).
 *
 * Base maps (OpenStreetMap, 天地图 Tianditu) are optional and off by default ("无底图 No base
 * map"), so nothing leaves the machine unless the user picks one.
 *
 * Permalink: the URL's hash carries the view and the layers shown,
 *   #<zoom>/<lat>/<lon>/layers=<id>,<id>…   e.g. #14/43.86/126.55/layers=hazard_sources,enterprises
 * (latitude and longitude in WGS 84 degrees, as many decimals as make a pixel at that zoom; layer
 * ids in registry order; "layers=" alone: no layer). It is rewritten (history.replaceState, no new
 * history entry, debounced) after every move, zoom and layer switch, read at start-up (in static
 * mode too) and on every hashchange. A part that does not validate is ignored: a bad number or a
 * zoom, latitude or longitude out of range leaves the default view (the extent of the layers shown
 * by default), unknown layer ids are dropped and a list of nothing but unknown ids leaves the
 * default layers.
 *
 * For tests: window.geoRiskMap (the L.Map), window.geoRiskLayers (layer id → L.GeoJSON holding
 * what is drawn now: features or hexagons), window.geoRiskRegistry (the registry list),
 * window.geoRiskLayerState (layer id → {status, mode, zoom, bbox, n, matched, capped, requests}),
 * window.geoRiskStatic (true in static mode), window.geoRiskPermalink ({parse, format}: the hash
 * codec). document.body.dataset.layersLoaded is "true" once the current view's layers are drawn,
 * "pending" while a view change is being loaded and "error" when a layer failed.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------------------------------------
  // Configuration from the page (JSON, not executed) → window.GEO_RISK_CONFIG
  // ---------------------------------------------------------------------------------------------
  var CONFIG = {};
  try {
    var cfgNode = document.getElementById("geo-risk-config");
    CONFIG = cfgNode ? JSON.parse(cfgNode.textContent || "{}") : {};
  } catch (e) {
    CONFIG = {};
  }
  window.GEO_RISK_CONFIG = CONFIG;
  var STATIC = CONFIG.static_data || null;
  window.geoRiskStatic = !!STATIC;
  var API = CONFIG.api_base || "/api/v1";
  var OGC = typeof CONFIG.ogc_base === "string" ? CONFIG.ogc_base : "";

  // Features per /items page (the server's maximum) and pages per layer and view: beyond 50,000
  // features in a view the layer is capped (with a notice). The page's URL may lower both
  // (?page_limit=100&max_pages=3), to see the paging and the cap at work on a small data set.
  var QUERY = new URLSearchParams(window.location.search);
  function intParam(name, lo, hi, dflt) {
    var v = parseInt(QUERY.get(name) || "", 10);
    return isNaN(v) ? dflt : Math.max(lo, Math.min(hi, v));
  }
  var PAGE_LIMIT = intParam("page_limit", 1, 10000, 10000);
  var MAX_PAGES = intParam("max_pages", 1, 100, 5);
  var VIEW_PAD = 0.5; // load the view plus half its size on every side
  var DEBOUNCE_MS = 200;
  var HEX_STYLE = { color: "#ffffff", weight: 1, opacity: 0.9, fillOpacity: 0.72 };

  // ---------------------------------------------------------------------------------------------
  // Bilingual labels: field names and coded values (中文 first, then English)
  // ---------------------------------------------------------------------------------------------
  var FIELD_LABELS = {
    id: ["编号", "ID"],
    name: ["名称", "Name"],
    population: ["人口", "Population"],
    households: ["户数", "Households"],
    status: ["状态", "Status"],
    kind: ["类型", "Kind"],
    category: ["防护目标类别", "Class"],
    unit_type: ["单元类型", "Unit type"],
    equipment: ["设备", "Equipment"],
    fire_class: ["火灾危险性", "Fire class"],
    safety_distance_m: ["外部安全防护距离 (m)", "Safety distance (m)"],
    level: ["级别", "Level"],
    risk_grade: ["园区风险等级", "Park risk grade"],
    industry_code: ["行业代码", "Industry code"],
    park_id: ["所在园区", "Park"],
    enterprise_id: ["所属企业", "Enterprise"],
    enterprise_name: ["企业名称", "Enterprise"],
    uscc: ["统一社会信用代码", "Unified social credit code"],
    grade: ["重大危险源级别", "Hazard grade"],
    r: ["R 值", "R (GB 18218)"],
    main_substances: ["主要危险化学品", "Main chemicals"],
    register: ["登记", "Register"],
    approximate: ["估算", "Approximate"],
    unit_id: ["单元编号", "Unit ID"],
    unit_name: ["单元名称", "Unit"],
    chemical: ["危险化学品", "Chemical"],
    cas: ["CAS 号", "CAS No."],
    max_quantity_t: ["最大存量 (t)", "Max quantity (t)"],
    state: ["相态", "State"],
    temperature_c: ["温度 (°C)", "Temperature (°C)"],
    pressure_mpa: ["压力 (MPa)", "Pressure (MPa)"],
    vessel_count: ["容器数", "Vessels"],
    vessel_capacity_t: ["单个容器容量 (t)", "Capacity per vessel (t)"],
    // the hidden-danger layers (隐患排查治理)
    n_open: ["未销号隐患数", "Open hidden dangers"],
    n_overdue: ["超期隐患数", "Overdue"],
    n_major: ["重大隐患数", "Major"],
    n_major_overdue: ["超期重大隐患数（通报）", "Major overdue (for notice)"],
    n_supervised: ["挂牌督办数", "Under listed supervision"],
    next_deadline: ["最近整改期限", "Next deadline"],
    colour_label: ["分级", "Class"],
    // -- the relocation layer (搬迁改造方案, issue 14; the decision tools' block) --
    outcome_label: ["方案", "Outcome"],
    park_name: ["迁入园区", "Park"],
    reason: ["理由", "Reason"],
    conflicts: ["冲突数", "Conflicts"],
    people_affected: ["受影响人口", "People affected"],
    land_ha: ["用地 (公顷)", "Land (ha)"],
    distance_km: ["迁建距离 (km)", "Distance (km)"],
    new_site_people: ["新址个人风险 ≥ 3×10⁻⁷/a 处人口", "People at IR ≥ 3×10⁻⁷/a at the new site"]
  };

  var VALUE_LABELS = {
    status: {
      operating: ["在产", "Operating"],
      suspended: ["停产", "Suspended"],
      closed: ["关闭", "Closed"],
      planned: ["拟建", "Planned"]
    },
    unit_type: {
      production: ["生产单元", "Production unit"],
      storage: ["储存单元", "Storage unit"]
    },
    equipment: {
      atmospheric_tank: ["常压储罐", "Atmospheric tank"],
      pressure_vessel: ["压力容器", "Pressure vessel"],
      refrigerated_tank: ["低温储罐", "Refrigerated tank"],
      process_vessel: ["工艺设备", "Process vessel"],
      pipeline: ["管道", "Pipeline"],
      warehouse: ["仓库", "Warehouse"],
      cylinder_store: ["气瓶库", "Cylinder store"]
    },
    fire_class: {
      "甲": ["甲类", "Class A"],
      "乙": ["乙类", "Class B"],
      "丙": ["丙类", "Class C"],
      "丁": ["丁类", "Class D"],
      "戊": ["戊类", "Class E"]
    },
    risk_grade: {
      A: ["A类（高安全风险）", "A (high risk)"],
      B: ["B类（较高安全风险）", "B (fairly high risk)"],
      C: ["C类（一般安全风险）", "C (moderate risk)"],
      D: ["D类（较低安全风险）", "D (low risk)"]
    },
    level: {
      national: ["国家级", "National"],
      provincial: ["省级", "Provincial"],
      municipal: ["市级", "Municipal"],
      county: ["县级", "County"],
      "国家级": ["国家级", "National"],
      "省级": ["省级", "Provincial"],
      "市级": ["市级", "Municipal"],
      "县级": ["县级", "County"]
    },
    register: {
      register: ["在册（登记台账）", "In the register"],
      planned: ["拟建（不登记）", "Planned (not registered)"]
    },
    approximate: {
      "true": ["是（无厂区边界，按点位 500 米计）", "Yes (no plant boundary: residents counted within 500 m of its point)"],
      "false": ["否", "No"]
    }
  };
  // Tables defined elsewhere in the project (e.g. protection-target kinds) come with the page.
  var extra = CONFIG.value_labels || {};
  Object.keys(extra).forEach(function (field) {
    VALUE_LABELS[field] = Object.assign({}, VALUE_LABELS[field] || {}, extra[field]);
  });

  // Which layer's names to show for id fields (popups show "name (id)").
  var ID_REFERENCES = { park_id: "chemical_parks", enterprise_id: "enterprises" };

  // ---------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------
  function esc(v) {
    return String(v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function bilingual(pair) {
    return '<span class="zh">' + esc(pair[0]) + '</span> <span class="en">' + esc(pair[1]) + "</span>";
  }

  function layerTitle(def) {
    return bilingual([def.title_zh, def.title_en]);
  }

  function fmtNumber(v) {
    return typeof v === "number" ? v.toLocaleString("zh-CN", { maximumFractionDigits: 1 }) : v;
  }

  var namesById = {}; // layer id → feature id → name (accumulated over every load)

  function fieldValue(def, field, value) {
    if (value === null || value === undefined || value === "") {
      return '<span class="gr-none">—</span>';
    }
    var style = def.style || {};
    if (field === style.classify_by && style.classes && style.classes[value]) {
      var c = style.classes[value];
      return '<i class="gr-dot" style="background:' + esc(c.colour) + '"></i>' +
        bilingual([c.label_zh, c.label_en]);
    }
    if (VALUE_LABELS[field] && VALUE_LABELS[field][String(value)]) {
      return bilingual(VALUE_LABELS[field][String(value)]);
    }
    var ref = ID_REFERENCES[field];
    if (ref && namesById[ref] && namesById[ref][value]) {
      return esc(namesById[ref][value]) + ' <span class="gr-code">(' + esc(value) + ")</span>";
    }
    return esc(fmtNumber(value));
  }

  function popupHtml(def, feature) {
    var p = feature.properties || {};
    var rows = (def.popup || []).map(function (field) {
      var label = FIELD_LABELS[field] || [field, field];
      return "<tr><th>" + bilingual(label) + "</th><td>" + fieldValue(def, field, p[field]) + "</td></tr>";
    });
    return '<div class="gr-popup"><div class="gr-popup-layer">' + layerTitle(def) + "</div>" +
      "<table>" + rows.join("") + "</table></div>";
  }

  function classColour(style, props) {
    if (style.classify_by && style.classes) {
      var c = style.classes[props[style.classify_by]];
      if (c) return c.colour;
    }
    return style.fill;
  }

  function pathStyle(def, feature) {
    var s = def.style;
    var props = (feature && feature.properties) || {};
    var line = feature && feature.geometry && /LineString/.test(feature.geometry.type);
    return {
      color: line && s.classify_by ? classColour(s, props) : s.stroke,  // a line's colour is its class
      weight: s.weight,
      opacity: 1,
      fillColor: classColour(s, (feature && feature.properties) || {}),
      fillOpacity: s.fill_opacity,
      radius: s.radius_px
    };
  }

  // -- hexagons (the aggregated view below a layer's min_zoom) ------------------------------------
  /** True when hexagons are coloured by the style's classes (the min/max of the classified field). */
  function hexByClass(def) {
    var agg = def.aggregate || {};
    var s = def.style || {};
    return (agg.how === "min" || agg.how === "max") && !!agg.field && agg.field === s.classify_by &&
      !!s.classes && Object.keys(s.classes).length > 0;
  }

  function hexColour(def, props) {
    var agg = def.aggregate || {};
    var v = props.value;
    if (hexByClass(def)) {
      var c = def.style.classes[String(v)];
      return c ? c.colour : def.style.fill;
    }
    if (v === null || v === undefined) v = props.count;
    var ramp = agg.ramp || [];
    for (var i = 0; i < ramp.length; i++) {
      if (ramp[i][0] === null || v <= ramp[i][0]) return ramp[i][1];
    }
    return ramp.length ? ramp[ramp.length - 1][1] : def.style.fill;
  }

  function hexStyle(def, feature) {
    return Object.assign({ fillColor: hexColour(def, (feature && feature.properties) || {}) }, HEX_STYLE);
  }

  /** The ramp's classes as legend labels: "≤ 100", "100 – 1,000", …, "> 20,000". */
  function rampLabels(ramp) {
    return ramp.map(function (step, i) {
      var hi = step[0];
      var lo = i > 0 ? ramp[i - 1][0] : null;
      if (hi === null) return "> " + fmtNumber(lo);
      if (lo === null) return "≤ " + fmtNumber(hi);
      return fmtNumber(lo) + " – " + fmtNumber(hi);
    });
  }

  function hexPopupHtml(def, feature) {
    var p = feature.properties || {};
    var agg = def.aggregate || {};
    var rows = [];
    if (agg.how === "count") {
      rows.push([[agg.label_zh, agg.label_en], esc(fmtNumber(p.count))]);
    } else {
      rows.push([["要素数", "Features"], esc(fmtNumber(p.count))]);
      rows.push([[agg.label_zh, agg.label_en], fieldValue(def, agg.field, p.value)]);
    }
    return '<div class="gr-popup"><div class="gr-popup-layer">' + layerTitle(def) + " · " +
      bilingual(["六边形汇总", "hexagon aggregate"]) + "</div><table>" +
      rows.map(function (r) { return "<tr><th>" + bilingual(r[0]) + "</th><td>" + r[1] + "</td></tr>"; }).join("") +
      '</table><div class="gr-popup-hint">' +
      bilingual(["放大到 " + def.min_zoom + " 级显示各要素", "zoom to " + def.min_zoom + " for the features"]) +
      "</div></div>";
  }

  // ---------------------------------------------------------------------------------------------
  // Permalink codec: "#<zoom>/<lat>/<lon>/layers=<id>,<id>…" ↔ {view: {zoom, lat, lon}, layers}
  // ---------------------------------------------------------------------------------------------
  var DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;

  /** A decimal number of the hash in [lo, hi], else null (no "", "0x10", "Infinity", "1e3"). */
  function hashNumber(text, lo, hi) {
    if (!DECIMAL.test(text)) return null;
    var v = Number(text);
    return isFinite(v) && v >= lo && v <= hi ? v : null;
  }

  /**
   * The view and layers of a hash: {view: {zoom, lat, lon} or null, layers: [ids] or null}.
   * null where the hash says nothing valid; layer ids are not checked against the registry here.
   */
  function parseHash(hash) {
    var out = { view: null, layers: null };
    var text = String(hash || "").replace(/^#/, "");
    try { text = decodeURIComponent(text); } catch (e) { /* keep it raw */ }
    var parts = text.split("/");
    if (parts.length >= 3) {
      var zoom = hashNumber(parts[0], MIN_ZOOM, MAX_ZOOM);
      var lat = hashNumber(parts[1], -85.0511, 85.0511);
      var lon = hashNumber(parts[2], -180, 180);
      if (zoom !== null && lat !== null && lon !== null) out.view = { zoom: zoom, lat: lat, lon: lon };
    }
    parts.forEach(function (part) {
      var m = /^layers=(.*)$/.exec(part);
      if (!m) return;
      var ids = [];
      m[1].split(",").forEach(function (id) {
        id = id.trim();
        if (id && ids.indexOf(id) < 0) ids.push(id);
      });
      out.layers = ids;
    });
    return out;
  }

  /** The hash of a view and layer ids: decimals enough for a pixel at ``zoom`` (≈ 1 m at zoom 17). */
  function formatHash(zoom, lat, lon, ids) {
    var digits = Math.max(0, Math.ceil(Math.log(256 * Math.pow(2, zoom) / 360) / Math.LN10));
    var num = function (v) { return String(Number(v.toFixed(digits))); };
    var z = Math.round(zoom * 100) / 100;
    return "#" + z + "/" + num(lat) + "/" + num(lon) + "/layers=" + ids.join(",");
  }
  window.geoRiskPermalink = { parse: parseHash, format: formatHash };

  // ---------------------------------------------------------------------------------------------
  // Map, base maps, controls
  // ---------------------------------------------------------------------------------------------
  var MIN_ZOOM = 3, MAX_ZOOM = 19;
  var map = L.map("map", { zoomControl: true, preferCanvas: false, minZoom: MIN_ZOOM, maxZoom: MAX_ZOOM });
  window.geoRiskMap = map;
  // The permalink's view right away (no jump once the layers are known), else a provisional view.
  var linkedView = parseHash(window.location.hash).view;
  if (linkedView) map.setView([linkedView.lat, linkedView.lon], linkedView.zoom);
  else map.setView([43.84, 126.55], 11);
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" title="Leaflet, served by this server">Leaflet</a>');

  var baseMaps = {};
  var noBase = L.layerGroup();
  baseMaps["无底图 No base map"] = noBase;
  baseMaps["开放街图 OpenStreetMap"] = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
  });
  if (CONFIG.tianditu_token) {
    var tk = encodeURIComponent(CONFIG.tianditu_token);
    var tdt = function (layer) {
      return L.tileLayer(
        "https://t{s}.tianditu.gov.cn/" + layer + "_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0" +
        "&LAYER=" + layer + "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles" +
        "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + tk,
        { subdomains: "01234567", maxZoom: 18, attribution: "&copy; 天地图 Tianditu" });
    };
    baseMaps["天地图 Tianditu"] = L.layerGroup([tdt("vec"), tdt("cva")]);
  }
  noBase.addTo(map); // the default: nothing is requested from outside

  var layerControl = L.control.layers(baseMaps, {}, { collapsed: false, position: "topright" }).addTo(map);
  // A title bar folds the switcher to one line (it took a third of the map with its long bilingual names);
  // folded from the start on a narrow window.
  (function () {
    var box = layerControl.getContainer();
    L.DomUtil.addClass(box, "gr-switcher");
    var head = L.DomUtil.create("div", "gr-switcher-title");
    head.setAttribute("role", "button");
    head.setAttribute("title", "点击折叠/展开 Click to fold/unfold");
    head.innerHTML = '<span class="zh">图层</span> <span class="en">Layers</span><span class="gr-legend-fold"></span>';
    box.insertBefore(head, box.firstChild);
    L.DomEvent.on(head, "click", function (e) {
      L.DomEvent.stop(e);
      L.DomUtil[L.DomUtil.hasClass(box, "gr-folded") ? "removeClass" : "addClass"](box, "gr-folded");
    });
    if (window.innerWidth < 900) L.DomUtil.addClass(box, "gr-folded");
  })();
  window.geoRiskLayerControl = layerControl; // the decision tools (tools.js) add their result layers here
  L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);

  var registry = [];
  var overlays = {}; // id → L.GeoJSON (what is drawn now)
  var shapes = {}; // id → "point" | "area" (legend swatch of the features)
  var lstate = {}; // id → loading state, see the header
  window.geoRiskLayers = overlays;
  window.geoRiskLayerState = lstate;

  function onMap(def) {
    return !!overlays[def.id] && map.hasLayer(overlays[def.id]);
  }

  /** "features", "hexagons" or "none" (below min_zoom without an aggregate) at the current zoom. */
  function wantedMode(def) {
    if (STATIC || map.getZoom() >= def.min_zoom) return "features";
    return def.aggregate ? "hexagons" : "none";
  }

  /** What the legend describes: the mode drawn, else the mode being loaded. */
  function shownMode(def) {
    var st = lstate[def.id] || {};
    return (st.have && st.have.mode) || wantedMode(def);
  }

  // -- legend: every overlay on the map, its classes (or its hexagon ramp) with swatches ----------
  function swatch(colour, def, shape) {
    var s = def.style;
    var cls = shape === "point" ? "gr-swatch gr-swatch-point" : "gr-swatch";
    var op = shape === "point" ? s.fill_opacity : Math.max(s.fill_opacity, 0.12);
    return '<i class="' + cls + '" style="border:' + Math.max(1, Math.min(s.weight, 3)) + "px solid " +
      esc(s.stroke) + ';">' +
      '<b style="background:' + esc(colour) + ";opacity:" + op + '"></b></i>';
  }

  function hexSwatch(colour) {
    return '<svg class="gr-swatch-hex" viewBox="0 0 16 18" aria-hidden="true">' +
      '<polygon points="8,1 15,5 15,13 8,17 1,13 1,5" fill="' + esc(colour) + '" fill-opacity="' +
      HEX_STYLE.fillOpacity + '" stroke="#90a4ae" stroke-width="0.8"/></svg>';
  }

  function legendRows(def) {
    var s = def.style;
    var mode = shownMode(def);
    var parts = [];
    if (mode === "hexagons") {
      var agg = def.aggregate;
      parts.push('<div class="gr-legend-layer">' + layerTitle(def) + "</div>");
      parts.push('<div class="gr-legend-sub">' + bilingual(["六边形汇总", "Hexagons"]) + "：" +
        bilingual([agg.label_zh, agg.label_en]) + "</div>");
      if (hexByClass(def)) {
        Object.keys(s.classes).forEach(function (k) {
          var c = s.classes[k];
          parts.push('<div class="gr-legend-row gr-legend-class">' + hexSwatch(c.colour) +
            bilingual([c.label_zh, c.label_en]) + "</div>");
        });
      } else {
        var labels = rampLabels(agg.ramp || []);
        (agg.ramp || []).forEach(function (step, i) {
          parts.push('<div class="gr-legend-row gr-legend-class">' + hexSwatch(step[1]) +
            '<span class="gr-legend-num">' + esc(labels[i]) + "</span></div>");
        });
      }
      return parts;
    }
    if (mode === "none") {
      return ['<div class="gr-legend-row gr-legend-layer gr-legend-off">' + layerTitle(def) +
        '</div><div class="gr-legend-sub">' +
        bilingual(["放大到 " + def.min_zoom + " 级显示", "shown from zoom " + def.min_zoom]) + "</div>"];
    }
    var shape = shapes[def.id] || (def.geometry === "point" ? "point" : "area");
    var keys = s.classify_by && s.classes ? Object.keys(s.classes) : [];
    if (!keys.length) {
      return ['<div class="gr-legend-row gr-legend-layer">' + swatch(s.fill, def, shape) + layerTitle(def) +
        "</div>"];
    }
    parts.push('<div class="gr-legend-layer">' + layerTitle(def) + "</div>");
    keys.forEach(function (k) {
      var c = s.classes[k];
      parts.push('<div class="gr-legend-row gr-legend-class">' + swatch(c.colour, def, shape) +
        bilingual([c.label_zh, c.label_en]) + "</div>");
    });
    return parts;
  }

  // Bottom left, above the scale bar: the layer switcher has the right-hand column.
  var Legend = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      this._div = L.DomUtil.create("div", "gr-legend leaflet-bar");
      L.DomEvent.disableClickPropagation(this._div);
      L.DomEvent.disableScrollPropagation(this._div);
      var div = this._div;
      L.DomEvent.on(div, "click", function (e) {
        var t = e.target;
        while (t && t !== div && !(t.classList && t.classList.contains("gr-legend-title"))) t = t.parentNode;
        if (t && t !== div) L.DomUtil[L.DomUtil.hasClass(div, "gr-folded") ? "removeClass" : "addClass"](div, "gr-folded");
      });
      this.update();
      return this._div;
    },
    update: function () {
      if (!this._div) return;
      var parts = ['<div class="gr-legend-title" title="点击折叠/展开 Click to fold/unfold">' +
        bilingual(["图例", "Legend"]) + '<span class="gr-legend-fold"></span></div><div class="gr-legend-body">'];
      registry.forEach(function (def) {
        if (onMap(def)) parts.push.apply(parts, legendRows(def));
      });
      parts.push("</div>");
      this._div.innerHTML = parts.join("");
    }
  });
  var legend = new Legend().addTo(map);

  // -- notice: layers capped in this view ---------------------------------------------------------
  var Notice = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      this._div = L.DomUtil.create("div", "gr-notice");
      this._div.setAttribute("role", "alert");
      L.DomEvent.disableClickPropagation(this._div);
      this.update();
      return this._div;
    },
    update: function () {
      if (!this._div) return;
      var capped = registry.filter(function (def) {
        var st = lstate[def.id];
        return onMap(def) && st && st.status === "done" && st.capped;
      });
      this._div.style.display = capped.length ? "" : "none";
      this._div.innerHTML = capped.map(function (def) {
        var st = lstate[def.id];
        return "<div>⚠ " + esc(def.title_zh) + "：仅显示 " + esc(fmtNumber(st.n)) + " / " +
          esc(fmtNumber(st.matched)) + " 个要素，请放大 · " + esc(def.title_en) + ": showing " +
          esc(st.n.toLocaleString("en")) + " of " + esc(st.matched.toLocaleString("en")) +
          " features, zoom in</div>";
      }).join("");
    }
  });
  var notice = new Notice().addTo(map);

  // -- status line: per-layer progress and errors -------------------------------------------------
  var statusEl = document.getElementById("status");

  function renderStatus() {
    if (!statusEl) return;
    var defs = registry.filter(onMap);
    var done = 0, total = 0, errors = 0;
    var items = defs.map(function (def) {
      var st = lstate[def.id] || { status: "idle" };
      var text;
      if (st.status === "done") {
        done += 1;
        var mode = st.have && st.have.mode;
        if (mode === "hexagons") {
          text = '<span class="gr-ok">⬡</span> ' + esc(def.title_zh) + " " + esc(fmtNumber(st.n)) +
            " 个六边形 hexagons";
        } else if (mode === "none") {
          text = '<span class="gr-off">–</span> ' + esc(def.title_zh) + " 放大显示 zoom in";
        } else {
          total += st.n;
          text = (st.capped ? '<span class="gr-warn">⚠</span> ' : '<span class="gr-ok">✓</span> ') +
            esc(def.title_zh) + " " + esc(fmtNumber(st.n)) +
            (st.capped ? "/" + esc(fmtNumber(st.matched)) : "");
        }
      } else if (st.status === "error") {
        errors += 1;
        text = '<span class="gr-err">✗ ' + esc(def.title_zh) + " " + esc(def.title_en) + "：" + esc(st.msg) +
          "</span>";
      } else {
        text = '<span class="gr-busy">…</span> ' + esc(def.title_zh) + " 加载中 loading";
      }
      return '<span class="gr-status-item">' + text + "</span>";
    });
    var head;
    if (done + errors < defs.length) {
      head = "正在加载 Loading " + (done + errors) + "/" + defs.length + "：";
    } else if (errors) {
      head = '<span class="gr-err">' + errors + " 个图层加载失败 layer(s) failed</span> · ";
    } else {
      head = (STATIC ? "静态文件 Static file · " : "") + "已加载 " + done + " 个图层，共 " +
        total.toLocaleString("zh-CN") + " 个要素 · Loaded " + done + " layers, " + total.toLocaleString("en") +
        " features：";
    }
    statusEl.innerHTML = head + " " + items.join(" ");
  }

  // -- the API key of the whole map (issue 15): one key, kept in sessionStorage under the decision tools'
  // name, typed in the header's field (or the tools' field: the two are kept in step). Every request of the
  // map sends it (X-API-Key), so an analyst sees the restricted layers; when it changes the layer list is
  // asked again and the page reloads if the list differs (a restricted layer appears or goes).
  var KEY_STORE = "geoRiskApiKey";
  function apiKey() {
    try { return window.sessionStorage.getItem(KEY_STORE) || ""; } catch (e) { return ""; }
  }
  function apiHeaders(h) {
    var k = apiKey();
    if (k) h["X-API-Key"] = k;
    return h;
  }
  window.geoRiskApiKey = apiKey;
  window.geoRiskApiHeaders = apiHeaders;

  function setApiKey(value) {
    var v = String(value || "").trim();
    if (v === apiKey()) return;
    try { window.sessionStorage.setItem(KEY_STORE, v); } catch (e) { /* private mode: this page only */ }
    ["gr-map-key", "gr-api-key"].forEach(function (id) {
      var f = document.getElementById(id);
      if (f && f.value !== v) f.value = v;
    });
    document.dispatchEvent(new CustomEvent("georisk:apikey", { detail: { key: v } }));
    if (STATIC) return;
    fetchJson(API + "/layers").then(function (res) {
      var ids = ((res && res.layers) || []).map(function (d) { return d.id; }).join(",");
      if (ids !== registry.map(function (d) { return d.id; }).join(",")) window.location.reload();
    }, function (err) {
      fail("API 密钥无效 The API key was refused: " + (err.message || err));
    });
  }
  window.geoRiskSetApiKey = setApiKey;
  (function () {
    var field = document.getElementById("gr-map-key");
    if (field) {
      field.value = apiKey();
      field.addEventListener("change", function () { setApiKey(field.value); });
    }
    // the decision tools' own key field (tools.js) writes the same store: follow it
    document.addEventListener("change", function (e) {
      if (e.target && e.target.id === "gr-api-key") setApiKey(e.target.value);
    }, true);
  })();

  function fail(message) {
    if (statusEl) statusEl.innerHTML = '<span class="gr-err">' + esc(message) + "</span>";
    document.body.dataset.layersLoaded = "error";
  }

  function fetchJson(url, signal) {
    var opts = { headers: apiHeaders({ Accept: "application/json" }), credentials: "same-origin" };
    if (signal) opts.signal = signal;
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (body) {
        var data = null;
        try { data = body ? JSON.parse(body) : null; } catch (e) { data = null; }
        if (!r.ok) {
          var detail = data && (data.detail || data.message || data.error);
          if (detail && typeof detail !== "string") detail = JSON.stringify(detail);
          throw new Error("HTTP " + r.status + (detail ? " " + detail : ""));
        }
        if (data === null) throw new Error("invalid JSON from " + url);
        return data;
      });
    });
  }

  /** A link of a response, kept on this server (a proxy may make the server see another origin). */
  function sameOrigin(href) {
    var u = new URL(href, window.location.href);
    return u.origin === window.location.origin ? u.href : u.pathname + u.search;
  }

  // ---------------------------------------------------------------------------------------------
  // Layers: registry → one L.GeoJSON each, stacked in registry order (one pane each)
  // ---------------------------------------------------------------------------------------------
  function clampedBounds(b) {
    var s = Math.max(-85.05, b.getSouth()), n = Math.min(85.05, b.getNorth());
    var w = Math.max(-180, b.getWest()), e = Math.min(180, b.getEast());
    if (!(w < e && s < n)) return null;
    return L.latLngBounds([s, w], [n, e]);
  }

  function bboxParam(b) {
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return v.toFixed(6);
    }).join(",");
  }

  function makeOverlay(def, index) {
    var paneName = "gr-" + def.id;
    var pane = map.createPane(paneName);
    pane.style.zIndex = String(410 + index);
    var standIns = [];
    var layer = L.geoJSON(null, {
      pane: paneName,
      style: function (f) { return f.grHex ? hexStyle(def, f) : pathStyle(def, f); },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, Object.assign({ pane: paneName }, pathStyle(def, f)));
      },
      onEachFeature: function (f, lyr) {
        if (f.grHex) {
          lyr.bindPopup(function () { return hexPopupHtml(def, f); }, { maxWidth: 440, minWidth: 220 });
          lyr.on("mouseover", function () { lyr.setStyle({ weight: 2.5, color: "#263238" }); });
          lyr.on("mouseout", function () { layer.resetStyle(lyr); });
          return;
        }
        lyr.bindPopup(function () { return popupHtml(def, f); }, { maxWidth: 440, minWidth: 260 });
        // Small polygons vanish at city scale: below style.marker_below_zoom a marker stands in.
        var t = f.geometry && f.geometry.type;
        if (def.style.marker_below_zoom && t !== "Point" && t !== "MultiPoint" && lyr.getBounds) {
          var m = L.circleMarker(lyr.getBounds().getCenter(), Object.assign({ pane: paneName }, pathStyle(def, f)));
          m.feature = f;
          m.grStandIn = true;
          m.bindPopup(function () { return popupHtml(def, f); }, { maxWidth: 440, minWidth: 260 });
          standIns.push(m);
        }
        lyr.on("mouseover", function () {
          lyr.setStyle({ weight: def.style.weight + 2 });
          if (lyr.bringToFront) lyr.bringToFront();
        });
        lyr.on("mouseout", function () { layer.resetStyle(lyr); });
      }
    });
    layer.showStandIns = function () {
      var below = def.style.marker_below_zoom && map.getZoom() < def.style.marker_below_zoom;
      standIns.forEach(function (m) {
        if (below && !layer.hasLayer(m)) layer.addLayer(m);
        if (!below && layer.hasLayer(m)) layer.removeLayer(m);
      });
    };
    /** Replace what is drawn by ``fc`` (features, or hexagons when ``hex``). */
    layer.draw = function (fc, hex) {
      layer.clearLayers();
      standIns = [];
      var features = (fc && fc.features) || [];
      features.forEach(function (f) { f.grHex = !!hex; });
      layer.addData({ type: "FeatureCollection", features: features });
      layer.showStandIns();
    };
    if (def.style.marker_below_zoom) map.on("zoomend", layer.showStandIns);
    layer.on("add", function () {
      layer.showStandIns();
      onViewChange();
      scheduleHash();
    });
    layer.on("remove", function () {
      var st = lstate[def.id];
      if (st && st.status === "loading") {
        if (st.ctrl) st.ctrl.abort();
        st.gen += 1; // ignore the answer
        st.status = st.have ? "done" : "idle";
      }
      onViewChange();
      scheduleHash();
    });
    overlays[def.id] = layer;
    lstate[def.id] = { status: "idle", gen: 0, have: null, want: null, ctrl: null, n: 0, matched: 0,
                       capped: false, requests: 0, mode: null, zoom: null, bbox: null };
    layerControl.addOverlay(layer, def.title_zh + " " + def.title_en);
    return layer;
  }

  function remember(def, features) {
    var names = namesById[def.id] = namesById[def.id] || {};
    var points = 0;
    features.forEach(function (f) {
      var p = f.properties || {};
      if (p.name !== undefined && (f.id !== undefined || p.id !== undefined)) {
        names[f.id !== undefined ? f.id : p.id] = p.name;
      }
      var t = f.geometry && f.geometry.type;
      if (t === "Point" || t === "MultiPoint") points += 1;
    });
    // legend swatch: a dot when most features are points, else a box
    if (features.length) shapes[def.id] = points * 2 > features.length ? "point" : "area";
  }

  /** Every feature of ``def`` in ``bounds``, following `next` links up to MAX_PAGES pages. */
  function fetchFeatures(def, bounds, signal, st) {
    var features = [];
    var matched = 0;
    var pages = 0;
    function step(url) {
      st.requests += 1;
      return fetchJson(url, signal).then(function (fc) {
        pages += 1;
        var page = fc.features || [];
        for (var i = 0; i < page.length; i++) features.push(page[i]);
        matched = typeof fc.numberMatched === "number" ? fc.numberMatched : features.length;
        var next = (fc.links || []).filter(function (l) { return l.rel === "next"; })[0];
        if (next && features.length < matched) {
          if (pages >= MAX_PAGES) return { fc: { features: features }, matched: matched, capped: true };
          return step(sameOrigin(next.href));
        }
        return { fc: { features: features }, matched: matched, capped: false };
      });
    }
    return step(OGC + "/collections/" + encodeURIComponent(def.id) + "/items?bbox=" + bboxParam(bounds) +
      "&limit=" + PAGE_LIMIT);
  }

  function fetchHexagons(def, bounds, zoom, signal, st) {
    st.requests += 1;
    var url = OGC + "/collections/" + encodeURIComponent(def.id) + "/hexagons?bbox=" + bboxParam(bounds) +
      "&zoom=" + zoom;
    return fetchJson(url, signal).then(function (fc) {
      var n = (fc.features || []).length;
      return { fc: fc, matched: n, capped: false };
    });
  }

  /** True when what is drawn (or being loaded) for ``def`` covers the current view and zoom. */
  function upToDate(def) {
    var st = lstate[def.id];
    if (STATIC) return st.status === "done";
    var target = st.status === "loading" ? st.want : (st.status === "done" ? st.have : null);
    if (!target) return false;
    var mode = wantedMode(def);
    if (target.mode !== mode) return false;
    if (mode === "none") return true;
    if (mode === "hexagons" && target.zoom !== map.getZoom()) return false;
    var view = clampedBounds(map.getBounds());
    return !view || (!!target.bounds && target.bounds.contains(view));
  }

  function load(def) {
    var st = lstate[def.id];
    if (st.ctrl) st.ctrl.abort();
    var mode = wantedMode(def);
    var zoom = map.getZoom();
    var bounds = clampedBounds(map.getBounds().pad(VIEW_PAD));
    st.gen += 1;
    var gen = st.gen;
    st.want = { mode: mode, zoom: zoom, bounds: bounds };
    if (mode === "none" || !bounds) {
      st.ctrl = null;
      overlays[def.id].draw(null, false);
      finish(def, st.want, { fc: null, matched: 0, capped: false });
      return;
    }
    var ctrl = typeof AbortController !== "undefined" ? new AbortController() : null;
    st.ctrl = ctrl;
    st.status = "loading";
    var signal = ctrl ? ctrl.signal : null;
    var request = mode === "features" ? fetchFeatures(def, bounds, signal, st)
      : fetchHexagons(def, bounds, zoom, signal, st);
    var want = st.want;
    request.then(function (res) {
      if (gen !== st.gen) return; // a newer view was asked for meanwhile
      st.ctrl = null;
      var features = (res.fc && res.fc.features) || [];
      if (mode === "features") remember(def, features);
      overlays[def.id].draw(res.fc, mode === "hexagons");
      finish(def, want, res);
    }, function (err) {
      if (gen !== st.gen || (err && err.name === "AbortError")) return;
      st.ctrl = null;
      st.status = "error";
      st.msg = (err && err.message) || String(err);
      updateAll();
    });
  }

  function finish(def, want, res) {
    var st = lstate[def.id];
    var n = res.fc && res.fc.features ? res.fc.features.length : 0;
    st.have = want;
    st.status = "done";
    st.n = n;
    st.matched = res.matched;
    st.capped = !!res.capped;
    st.mode = want.mode;
    st.zoom = want.zoom;
    st.bbox = want.bounds ? bboxParam(want.bounds) : null;
    updateAll();
  }

  function updateAll() {
    renderStatus();
    legend.update();
    notice.update();
    settle();
  }

  var timer = null;
  var booting = true;

  /** layersLoaded = "true" (or "error") once nothing is pending for the layers on the map. */
  function settle() {
    if (booting || timer) return;
    var busy = false, failed = false;
    registry.forEach(function (def) {
      if (!onMap(def)) return;
      var st = lstate[def.id];
      if (st.status === "loading" || st.status === "idle") busy = true;
      if (st.status === "error") failed = true;
    });
    if (!busy) document.body.dataset.layersLoaded = failed ? "error" : "true";
  }

  function refresh() {
    registry.forEach(function (def) {
      if (onMap(def) && !upToDate(def)) load(def);
    });
    updateAll();
  }

  /** After a move, zoom or layer switch: schedule a (debounced) refresh when a layer needs one. */
  function onViewChange() {
    if (booting) return;
    var stale = registry.filter(function (def) { return onMap(def) && !upToDate(def); });
    renderStatus();
    legend.update();
    notice.update();
    if (!stale.length) {
      settle();
      return;
    }
    document.body.dataset.layersLoaded = "pending";
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () {
      timer = null;
      refresh();
    }, DEBOUNCE_MS);
  }
  map.on("moveend zoomend", onViewChange);

  function fitTo(bounds) {
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], animate: false });
  }

  // ---------------------------------------------------------------------------------------------
  // Permalink: keep the hash in step with the map, and the map with the hash
  // ---------------------------------------------------------------------------------------------
  var HASH_DEBOUNCE_MS = 250;
  var hashTimer = null;
  var writtenHash = null; // the last hash this page wrote (its own change is not a navigation)

  /** The ids of the permalink's layers that the registry knows; null when it names none of them. */
  function linkedLayers(ids) {
    if (!ids) return null;
    var known = ids.filter(function (id) { return Object.prototype.hasOwnProperty.call(overlays, id); });
    return ids.length && !known.length ? null : known;
  }

  function currentHash() {
    var c = map.getCenter().wrap();
    var ids = registry.filter(onMap).map(function (def) { return def.id; });
    return formatHash(map.getZoom(), c.lat, c.lng, ids);
  }

  function writeHash() {
    if (hashTimer) clearTimeout(hashTimer);
    hashTimer = null;
    if (booting || !registry.length) return;
    var hash = currentHash();
    writtenHash = hash;
    if (window.location.hash === hash) return;
    var url = window.location.pathname + window.location.search + hash;
    try {
      window.history.replaceState(window.history.state, "", url);
    } catch (e) {
      window.location.replace(hash); // a browser that refuses replaceState here (e.g. on file://)
    }
  }

  function scheduleHash() {
    if (booting) return;
    if (hashTimer) clearTimeout(hashTimer);
    hashTimer = setTimeout(writeHash, HASH_DEBOUNCE_MS);
  }
  map.on("moveend zoomend", scheduleHash);

  /** Show exactly the layers ``ids`` (registry ids). */
  function showLayers(ids) {
    registry.forEach(function (def) {
      var want = ids.indexOf(def.id) >= 0;
      if (want && !onMap(def)) overlays[def.id].addTo(map);
      if (!want && onMap(def)) map.removeLayer(overlays[def.id]);
    });
  }

  // A hash typed or pasted into the address bar (or Back to an earlier one): go there.
  window.addEventListener("hashchange", function () {
    if (window.location.hash === writtenHash) return;
    var link = parseHash(window.location.hash);
    if (link.view) map.setView([link.view.lat, link.view.lon], link.view.zoom, { animate: false });
    if (!booting) {
      var ids = linkedLayers(link.layers);
      if (ids) showLayers(ids);
      scheduleHash(); // the canonical form of what is shown (parts that did not validate are dropped)
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Start: static data, or the registry and the layers' extents from the server
  // ---------------------------------------------------------------------------------------------
  /** Build the layers of ``defs`` and show the permalink's (else the registry's default) ones. */
  function start(defs) {
    registry = defs;
    window.geoRiskRegistry = registry;
    if (!registry.length) {
      fail("没有可显示的图层 No layers to show");
      return false;
    }
    registry.forEach(makeOverlay);
    var ids = linkedLayers(parseHash(window.location.hash).layers);
    registry.forEach(function (def) {
      if (ids ? ids.indexOf(def.id) >= 0 : def.visible !== false) overlays[def.id].addTo(map);
    });
    return true;
  }

  /** The permalink's view (read again: the hash may have changed while the registry loaded), else ``bounds``. */
  function initialView(bounds) {
    var view = parseHash(window.location.hash).view;
    if (view) map.setView([view.lat, view.lon], view.zoom, { animate: false });
    else fitTo(bounds);
  }

  if (STATIC) {
    if (start(STATIC.layers || [])) {
      var all = L.latLngBounds([]);
      registry.forEach(function (def) {
        var fc = (STATIC.features || {})[def.id] || { type: "FeatureCollection", features: [] };
        remember(def, fc.features || []);
        overlays[def.id].draw(fc, false);
        var st = lstate[def.id];
        st.have = { mode: "features", zoom: null, bounds: null };
        st.status = "done";
        st.mode = "features";
        st.n = st.matched = (fc.features || []).length;
        if (def.visible !== false && st.n) all.extend(overlays[def.id].getBounds());
      });
      initialView(all);
      booting = false;
      updateAll();
      writeHash();
    }
  } else {
    Promise.all([
      fetchJson(API + "/layers"),
      fetchJson(OGC + "/collections").catch(function () { return { collections: [] }; })
    ]).then(function (answers) {
      if (!start((answers[0] && answers[0].layers) || [])) return;
      var shown = {};
      registry.forEach(function (def) { if (def.visible !== false) shown[def.id] = true; });
      var extent = L.latLngBounds([]);
      ((answers[1] && answers[1].collections) || []).forEach(function (c) {
        var box = c.extent && c.extent.spatial && c.extent.spatial.bbox && c.extent.spatial.bbox[0];
        if (shown[c.id] && box) extent.extend(L.latLngBounds([box[1], box[0]], [box[3], box[2]]));
      });
      initialView(extent);
      booting = false;
      refresh();
      writeHash();
    }).catch(function (err) {
      fail("无法读取图层列表 Could not read the layer list (" + API + "/layers): " + (err.message || err));
    });
  }
})();
