/* geo_risk web map: the registered layers (GET /api/v1/layers) drawn with Leaflet.
 *
 * Plain Leaflet, no framework. Everything is loaded from this server; base maps (OpenStreetMap,
 * 天地图 Tianditu) are optional and off by default ("无底图 No base map"), so nothing leaves the
 * machine unless the user picks one.
 *
 * For tests: window.geoRiskMap (the L.Map), window.geoRiskLayers (layer id → L.GeoJSON),
 * window.geoRiskRegistry (the registry list), document.body.dataset.layersLoaded = "true" once every
 * layer is drawn ("error" when a layer failed).
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
  var API = CONFIG.api_base || "/api/v1";

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
    uscc: ["统一社会信用代码", "Unified social credit code"]
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

  var namesById = {}; // layer id → feature id → name

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
    if (VALUE_LABELS[field] && VALUE_LABELS[field][value]) {
      return bilingual(VALUE_LABELS[field][value]);
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
    return {
      color: s.stroke,
      weight: s.weight,
      opacity: 1,
      fillColor: classColour(s, (feature && feature.properties) || {}),
      fillOpacity: s.fill_opacity,
      radius: s.radius_px
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Map, base maps, controls
  // ---------------------------------------------------------------------------------------------
  var map = L.map("map", { zoomControl: true, preferCanvas: false, minZoom: 3, maxZoom: 19 })
    .setView([43.84, 126.55], 11);
  window.geoRiskMap = map;
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
  L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);

  // Legend: every overlay on the map, its classes with swatches.
  var registry = [];
  var overlays = {}; // id → L.GeoJSON
  var shapes = {}; // id → "point" | "area"
  window.geoRiskLayers = overlays;

  function swatch(colour, def, shape) {
    var s = def.style;
    var cls = shape === "point" ? "gr-swatch gr-swatch-point" : "gr-swatch";
    var op = shape === "point" ? s.fill_opacity : Math.max(s.fill_opacity, 0.12);
    return '<i class="' + cls + '" style="border:' + Math.max(1, Math.min(s.weight, 3)) + "px solid " +
      esc(s.stroke) + ';">' +
      '<b style="background:' + esc(colour) + ";opacity:" + op + '"></b></i>';
  }

  var Legend = L.Control.extend({
    options: { position: "bottomright" },
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
        var lyr = overlays[def.id];
        if (!lyr || !map.hasLayer(lyr)) return;
        var s = def.style;
        var shape = shapes[def.id] || (def.geometry === "point" ? "point" : "area");
        var keys = s.classify_by && s.classes ? Object.keys(s.classes) : [];
        if (!keys.length) {
          parts.push('<div class="gr-legend-row gr-legend-layer">' + swatch(s.fill, def, shape) +
            layerTitle(def) + "</div>");
          return;
        }
        parts.push('<div class="gr-legend-layer">' + layerTitle(def) + "</div>");
        keys.forEach(function (k) {
          var c = s.classes[k];
          parts.push('<div class="gr-legend-row gr-legend-class">' + swatch(c.colour, def, shape) +
            bilingual([c.label_zh, c.label_en]) + "</div>");
        });
      });
      parts.push("</div>");
      this._div.innerHTML = parts.join("");
    }
  });
  var legend = new Legend().addTo(map);
  map.on("overlayadd overlayremove", function () { legend.update(); });

  // Status line: per-layer progress and errors.
  var statusEl = document.getElementById("status");
  var state = {}; // id → {state: "loading"|"done"|"error", n, msg}

  function renderStatus() {
    if (!statusEl) return;
    var done = 0, total = 0, errors = 0;
    var items = registry.map(function (def) {
      var st = state[def.id] || { state: "loading" };
      var text;
      if (st.state === "done") {
        done += 1;
        total += st.n;
        text = '<span class="gr-ok">✓</span> ' + esc(def.title_zh) + " " + esc(st.n.toLocaleString("zh-CN"));
      } else if (st.state === "error") {
        errors += 1;
        text = '<span class="gr-err">✗ ' + esc(def.title_zh) + " " + esc(def.title_en) + "：" + esc(st.msg) +
          "</span>";
      } else {
        text = '<span class="gr-busy">…</span> ' + esc(def.title_zh) + " 加载中 loading";
      }
      return '<span class="gr-status-item">' + text + "</span>";
    });
    var head;
    if (done + errors < registry.length) {
      head = "正在加载 Loading " + (done + errors) + "/" + registry.length + "：";
    } else if (errors) {
      head = '<span class="gr-err">' + errors + " 个图层加载失败 layer(s) failed</span> · ";
    } else {
      head = "已加载 " + done + " 个图层，共 " + total.toLocaleString("zh-CN") + " 个要素 · Loaded " + done +
        " layers, " + total.toLocaleString("en") + " features：";
    }
    statusEl.innerHTML = head + " " + items.join(" ");
  }

  function fail(message) {
    if (statusEl) statusEl.innerHTML = '<span class="gr-err">' + esc(message) + "</span>";
    document.body.dataset.layersLoaded = "error";
  }

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
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

  // ---------------------------------------------------------------------------------------------
  // Layers: registry → one L.GeoJSON each, stacked in registry order (one pane each)
  // ---------------------------------------------------------------------------------------------
  function makeOverlay(def, index) {
    var paneName = "gr-" + def.id;
    var pane = map.createPane(paneName);
    pane.style.zIndex = String(410 + index);
    var layer = L.geoJSON(null, {
      pane: paneName,
      style: function (f) { return pathStyle(def, f); },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, Object.assign({ pane: paneName }, pathStyle(def, f)));
      },
      onEachFeature: function (f, lyr) {
        lyr.bindPopup(function () { return popupHtml(def, f); }, { maxWidth: 440, minWidth: 260 });
        // Small polygons vanish at city scale: below style.marker_below_zoom a marker stands in.
        var t = f.geometry && f.geometry.type;
        if (def.style.marker_below_zoom && t !== "Point" && t !== "MultiPoint" && lyr.getBounds) {
          var m = L.circleMarker(lyr.getBounds().getCenter(), Object.assign({ pane: paneName }, pathStyle(def, f)));
          m.feature = f;
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
    var standIns = [];
    if (def.style.marker_below_zoom) {
      var showStandIns = function () {
        var below = map.getZoom() < def.style.marker_below_zoom;
        standIns.forEach(function (m) {
          if (below && !layer.hasLayer(m)) layer.addLayer(m);
          if (!below && layer.hasLayer(m)) layer.removeLayer(m);
        });
      };
      map.on("zoomend", showStandIns);
      layer.on("add", showStandIns);
      layer.showStandIns = showStandIns;
    }
    overlays[def.id] = layer;
    layerControl.addOverlay(layer, def.title_zh + " " + def.title_en);
    if (def.visible !== false) layer.addTo(map);
    return layer;
  }

  function loadLayer(def) {
    state[def.id] = { state: "loading" };
    var url = API + "/layers/" + encodeURIComponent(def.id) + ".geojson";
    return fetchJson(url).then(function (fc) {
      var features = (fc && fc.features) || [];
      var names = namesById[def.id] = {};
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
      shapes[def.id] = features.length && points * 2 > features.length ? "point" : "area";
      overlays[def.id].addData(fc);
      if (overlays[def.id].showStandIns) overlays[def.id].showStandIns();
      state[def.id] = { state: "done", n: features.length };
      renderStatus();
      legend.update();
    }, function (err) {
      state[def.id] = { state: "error", msg: err.message || String(err) };
      renderStatus();
      throw err;
    });
  }

  function fitToData() {
    var bounds = L.latLngBounds([]);
    registry.forEach(function (def) {
      var lyr = overlays[def.id];
      if (lyr && map.hasLayer(lyr) && lyr.getLayers().length) bounds.extend(lyr.getBounds());
    });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], animate: false });
  }

  fetchJson(API + "/layers").then(function (reg) {
    registry = (reg && reg.layers) || [];
    window.geoRiskRegistry = registry;
    if (!registry.length) {
      fail("没有可显示的图层 No layers to show");
      return;
    }
    registry.forEach(makeOverlay);
    renderStatus();
    return Promise.all(registry.map(function (def) {
      return loadLayer(def).then(function () { return true; }, function () { return false; });
    })).then(function (ok) {
      fitToData();
      legend.update();
      renderStatus();
      document.body.dataset.layersLoaded = ok.every(Boolean) ? "true" : "error";
    });
  }).catch(function (err) {
    fail("无法读取图层列表 Could not read the layer list (" + API + "/layers): " + (err.message || err));
  });
})();
