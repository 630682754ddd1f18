// byrum map viewer: draws window.BYRUM_DATA (viewer/data.js, written by the
// byrum program from its output folder) with Leaflet. Works from file:// and
// from a local server, with no internet: no base map, no fonts, no CDN.
(function () {
  'use strict';

  const D = window.BYRUM_DATA;
  const messages = document.getElementById('messages');

  function message(text) {
    const li = document.createElement('li');
    li.textContent = text;
    messages.appendChild(li);
  }

  if (!D) {
    message('viewer/data.js is missing or broken: run byrum again to write this folder\'s viewer.');
    return;
  }
  (D.messages || []).forEach(function (m) { console.warn('byrum viewer: ' + m); });
  if (typeof L === 'undefined') {
    if (!messages.children.length) {
      message('The map library (Leaflet) is missing from viewer/lib: install it with `npm ci` in examples/byrum/viewer and run byrum again.');
    }
    return;
  }

  // ---------------------------------------------------------------- helpers

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'html') e.innerHTML = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  function uniq(list) {
    const seen = new Set();
    return list.filter(function (x) {
      if (seen.has(x)) return false;
      seen.add(x);
      return true;
    });
  }

  function fmtNumber(v) {
    if (!isFinite(v)) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    const a = Math.abs(v);
    if (a >= 1000) return Math.round(v).toLocaleString('en-US');
    if (a >= 100) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    if (a === 0) return '0';
    return v.toPrecision(3);
  }

  // ------------------------------------------------------------- time bins

  const bins = D.bins || [];
  const binSet = new Set(bins);
  const parts = bins.filter(function (b) { return b !== 'all'; }).map(function (b) {
    const i = b.indexOf('_');
    return i > 0 ? [b.slice(0, i), b.slice(i + 1)] : null;
  });
  const twoWay = parts.length > 0 && parts.every(Boolean);
  const hours = twoWay ? uniq(parts.map(function (p) { return p[0]; })) : [];
  const seasons = twoWay ? uniq(parts.map(function (p) { return p[1]; })) : [];
  const tileSets = {};
  (D.tile_sets || []).forEach(function (s) { tileSets[s.bin] = s; });

  function hourLabel(h) { return h.replace('-', '–') + ' h'; }
  function seasonLabel(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
  function binLabel(bin) {
    if (bin === 'all') return 'the whole period (all hours, all year)';
    const i = bin.indexOf('_');
    if (twoWay && i > 0) return hourLabel(bin.slice(0, i)) + ', ' + seasonLabel(bin.slice(i + 1)).toLowerCase();
    return bin;
  }

  const state = { hour: 'all', season: 'all', single: bins[0] || 'all' };

  function currentBin() {
    if (!twoWay) return state.single;
    if (state.hour === 'all' || state.season === 'all') return 'all';
    return state.hour + '_' + state.season;
  }

  // The hour bucket to show with a season picked from "all hours": the
  // busiest one of that season's tile sets (most tiles), else the first.
  function busiestHour(season) {
    let best = hours[0];
    let most = -1;
    hours.forEach(function (h) {
      const s = tileSets[h + '_' + season];
      const n = s ? s.tiles.length : 0;
      if (n > most) { most = n; best = h; }
    });
    return best;
  }

  // A property for the chosen bin: `<base>_<bin>`, or `allKey` for "all".
  function binKey(base, allKey, bin) {
    return bin === 'all' ? allKey : base + '_' + bin;
  }

  // ------------------------------------------------------------------ map

  const legend = D.legend || null;
  const zooms = (legend && legend.zooms && legend.zooms.length) ? legend.zooms : null;
  const minNative = zooms ? Math.min.apply(null, zooms) : 0;
  const maxNative = zooms ? Math.max.apply(null, zooms) : 18;
  const k = (legend && legend.min_count) || metaParam('min_count') || 5;

  function metaParam(key) {
    for (const l of D.layers || []) {
      const p = l.geojson && l.geojson.byrum && l.geojson.byrum.parameters;
      if (p && p[key] !== undefined && p[key] !== null) return p[key];
    }
    return null;
  }

  const map = L.map('map', {
    zoomSnap: 0.25,
    minZoom: Math.max(0, minNative - 5),
    maxZoom: 18,
    attributionControl: false,
    preferCanvas: false,
  });
  L.control.scale({ metric: true, imperial: false, position: 'bottomleft', maxWidth: 160 }).addTo(map);

  // The heatmap: one tile layer, pointed at the chosen bin's tile set. Only
  // tiles that exist are requested (the tiler skips empty ones).
  const HeatLayer = L.TileLayer.extend({
    setSet: function (set) {
      this._set = set || null;
      this._have = new Set(set ? set.tiles : []);
      if (this._map) this.redraw();
    },
    createTile: function (coords, done) {
      const key = coords.z + '/' + coords.x + '/' + coords.y;
      if (!this._set || !this._have.has(key)) {
        const empty = document.createElement('div');
        setTimeout(function () { done(null, empty); }, 0);
        return empty;
      }
      return L.TileLayer.prototype.createTile.call(this, coords, done);
    },
    getTileUrl: function (coords) {
      return this._set.path + '/' + coords.z + '/' + coords.x + '/' + coords.y + '.png';
    },
  });
  let heat = null;
  if (Object.keys(tileSets).length) {
    map.createPane('byrum-heat').style.zIndex = '405';
    heat = new HeatLayer('', {
      pane: 'byrum-heat',
      tileSize: (legend && legend.tile_size) || 256,
      minNativeZoom: minNative,
      maxNativeZoom: maxNative,
      maxZoom: 18,
      opacity: 0.8,
      className: 'byrum-heat',
    });
    heat._have = new Set();
  }

  // ----------------------------------------------------------- the layers

  const HOT = { 99: '#b2182b', 95: '#ef6548', 90: '#fdae91' };
  const COLD = { 99: '#2166ac', 95: '#4393c3', 90: '#92c5de' };
  function classColour(c) {
    const m = /^(hot|cold)_(\d+)$/.exec(c || '');
    if (!m) return null;
    const table = m[1] === 'hot' ? HOT : COLD;
    const conf = Number(m[2]);
    const keys = Object.keys(table).map(Number).sort(function (a, b) { return b - a; });
    for (const key of keys) if (conf >= key) return table[key];
    return table[keys[keys.length - 1]];
  }
  function classLabel(c) {
    const m = /^(hot|cold)_(\d+)$/.exec(c || '');
    if (m) return (m[1] === 'hot' ? 'Hot spot' : 'Cold spot') + ', ' + m[2] + ' % confidence';
    return c === 'not_significant' ? 'Not significant' : String(c).replace(/_/g, ' ');
  }

  const SERVICE_OPEN = '#1a7f37';
  const SERVICE_SOME = '#8fd19e';
  const SERVICE_CLOSED = '#ffffff';
  const HAVEN = '#0a6e8a';

  // Per-layer look; `follows` says the layer restyles with the time bin.
  const DEFS = {
    gistar_h3: {
      title: 'Gi* hot and cold spots',
      on: true,
      follows: true,
      style: function (f, bin) {
        const c = f.properties[binKey('class', 'class', bin)];
        const col = classColour(c);
        if (!col) return { color: '#8c959f', weight: 0.5, opacity: 0.35, fill: true, fillOpacity: 0 };
        return { color: col, weight: 1.5, opacity: 0.9, fill: true, fillColor: col, fillOpacity: 0.3 };
      },
      heading: function (p) { return 'H3 cell ' + (p.h3 || ''); },
    },
    hot_spot_coverage: {
      title: 'Hot spots reached by outreach',
      on: false,
      style: function (f) {
        const covered = f.properties.covered === true;
        return {
          color: covered ? '#1a7f37' : '#cf222e', weight: 3, opacity: 0.95,
          dashArray: covered ? null : '6 4', fill: true, fillOpacity: 0,
        };
      },
      heading: function (p) { return 'Hot spot ' + (p.h3 || ''); },
    },
    places: {
      title: 'Places (squares, parks)',
      on: true,
      style: function () {
        return { color: '#24292f', weight: 2, opacity: 0.9, fill: true, fillColor: '#24292f', fillOpacity: 0.06 };
      },
      heading: function (p) { return p.name || p.id || 'Place'; },
    },
    safe_haven_coverage: {
      title: 'Safe-haven reach',
      on: false,
      style: function () {
        return { color: HAVEN, weight: 1.5, dashArray: '4 4', fill: true, fillColor: HAVEN, fillOpacity: 0.08 };
      },
      heading: function (p) { return 'Reach of safe-haven site ' + (p.rank || ''); },
    },
    route_segments: {
      title: 'Outreach routes',
      on: true,
      follows: true,
      style: function (f, bin, scale) {
        const v = f.properties[binKey('rate_per_100m', 'rate_per_100m', bin)];
        if (v === null || v === undefined) {
          return { color: '#8c959f', weight: 1.5, opacity: 0.8, dashArray: '3 4' };
        }
        const t = scale > 0 ? Math.min(1, v / scale) : 0;
        return { color: routeColour(t), weight: 2.5 + 6.5 * t, opacity: 0.95, lineCap: 'round' };
      },
      heading: function (p) { return p.route_name || p.route_id || 'Route'; },
    },
    services: {
      title: 'Services',
      on: true,
      follows: true,
      point: function (f, latlng, bin) {
        return L.circleMarker(latlng, serviceStyle(f, bin));
      },
      style: function (f, bin) { return serviceStyle(f, bin); },
      heading: function (p) { return p.name || p.id || 'Service'; },
    },
    safe_havens: {
      title: 'Suggested safe-haven sites',
      on: true,
      point: function (f, latlng) {
        const m = L.circleMarker(latlng, { radius: 10, color: '#ffffff', weight: 2, fillColor: HAVEN, fillOpacity: 1 });
        if (f.properties.rank !== undefined) {
          m.bindTooltip(String(f.properties.rank), {
            permanent: true, direction: 'center', className: 'safe-haven-label', interactive: false,
          });
        }
        return m;
      },
      heading: function (p) { return 'Safe-haven site ' + (p.rank || ''); },
    },
  };

  function routeColour(t) {
    // light grey-brown to near black
    const a = [176, 150, 122];
    const b = [40, 24, 16];
    const c = a.map(function (x, i) { return Math.round(x + (b[i] - x) * t); });
    return 'rgb(' + c.join(',') + ')';
  }

  function openShare(p, bin) {
    const v = p[binKey('open', 'open_share', bin)];
    return typeof v === 'number' ? v : null;
  }
  function serviceStyle(f, bin) {
    const s = openShare(f.properties, bin);
    let fill = SERVICE_CLOSED;
    if (s !== null && s >= 0.5) fill = SERVICE_OPEN;
    else if (s !== null && s > 0) fill = SERVICE_SOME;
    return { radius: 7, color: '#24292f', weight: 1.5, fillColor: fill, fillOpacity: 1 };
  }

  // --------------------------------------------------------------- popups

  const NUMERIC_KEY = /count|rate|ratio|share|weight|^z$|^z_|^p$|^p_|^q$|^q_|gi_bin|fdr|^open_|_hours$|_m2$|_m$/;

  function isBinSuffixed(key) {
    const i = key.indexOf('_');
    for (let j = i; j >= 0; j = key.indexOf('_', j + 1)) {
      const suffix = key.slice(j + 1);
      if (suffix !== 'all' && binSet.has(suffix)) return { base: key.slice(0, j), bin: suffix };
    }
    return null;
  }

  function fmtValue(key, v) {
    if (v === null || v === undefined) {
      return NUMERIC_KEY.test(key)
        ? '<span class="withheld">withheld (fewer than ' + esc(k) + ')</span>'
        : '—';
    }
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'number') {
      if (/share/.test(key) || /^open_/.test(key)) return (v * 100).toFixed(0) + ' %';
      return fmtNumber(v);
    }
    if (Array.isArray(v)) return esc(v.join(', '));
    if (typeof v === 'object') return esc(JSON.stringify(v));
    return esc(v);
  }

  function label(key) { return key.replace(/_/g, ' '); }

  function popupHtml(def, props, bin) {
    const rows = [];
    const binRows = [];
    // The headline numbers first, then the rest by name.
    const FIRST = ['kind', 'count', 'rank', 'rate_per_hour', 'rate_per_100m', 'class', 'z', 'p', 'q',
      'open_share', 'opening_hours', 'weekly_open_hours', 'covered', 'marginal_count', 'cumulative_share'];
    const keys = Object.keys(props).sort(function (x, y) {
      const a = FIRST.indexOf(x) < 0 ? FIRST.length : FIRST.indexOf(x);
      const b = FIRST.indexOf(y) < 0 ? FIRST.length : FIRST.indexOf(y);
      return a - b || (x < y ? -1 : x > y ? 1 : 0);
    });
    keys.forEach(function (key) {
      const v = props[key];
      const suffixed = isBinSuffixed(key);
      if (suffixed) {
        if (suffixed.bin === bin) {
          binRows.push('<tr class="bin"><th>' + esc(label(suffixed.base)) + ' (this time)</th><td>' + fmtValue(key, v) + '</td></tr>');
        }
        return;
      }
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        // nested hour → season tables (places): the chosen bin's value
        const i = bin.indexOf('_');
        if (i > 0 && v[bin.slice(0, i)] && v[bin.slice(0, i)][bin.slice(i + 1)] !== undefined) {
          binRows.push('<tr class="bin"><th>' + esc(label(key)) + ' (this time)</th><td>' +
            fmtValue(key, v[bin.slice(0, i)][bin.slice(i + 1)]) + '</td></tr>');
        }
        return;
      }
      if (key === 'name') return;
      rows.push('<tr><th>' + esc(label(key)) + '</th><td>' + fmtValue(key, v) + '</td></tr>');
    });
    let html = '<div class="popup"><h3>' + esc(def.heading(props)) + '</h3>';
    html += '<p class="sub">' + esc(def.title) + ' · shown for ' + esc(binLabel(bin)) + '</p>';
    html += '<div class="scroll"><table>' + binRows.join('') + rows.join('') + '</table></div>';
    if (props.suppressed === true) {
      html += '<p class="note">Some numbers are withheld: fewer than ' + esc(k) + ' incidents.</p>';
    }
    return html + '</div>';
  }

  // ------------------------------------------------------ build the layers

  const overlays = {};
  const built = {};
  const panes = {};
  const titles = {};
  let bounds = null;
  let wideBounds = null;

  (D.layers || []).forEach(function (entry, i) {
    const name = entry.name;
    const def = DEFS[name] || {
      title: name.replace(/_/g, ' '),
      on: true,
      style: function () { return { color: '#6e7781', weight: 1.5, fillOpacity: 0.1 }; },
      heading: function (p) { return p.name || p.id || name; },
    };
    const pane = 'byrum-' + name.replace(/[^a-z0-9]+/gi, '-');
    // Gi* cells lie under the heatmap (its pane is 405), the rest above it.
    map.createPane(pane).style.zIndex = String(name === 'gistar_h3' ? 401 : 410 + i);
    const gj = L.geoJSON(entry.geojson, {
      pane: pane,
      style: function (f) { return def.style ? def.style(f, 'all', routeScale('all')) : {}; },
      pointToLayer: function (f, latlng) {
        if (def.point) return def.point(f, latlng, 'all');
        return L.circleMarker(latlng, { radius: 6, color: '#24292f', weight: 1, fillColor: '#6e7781', fillOpacity: 1 });
      },
      onEachFeature: function (f, layer) {
        layer.options.pane = pane;
        layer.bindPopup(function () { return popupHtml(def, f.properties || {}, currentBin()); }, { maxWidth: 360, minWidth: 260 });
        if (name === 'places' && (entry.geojson.features || []).length <= 30 && f.properties && f.properties.name) {
          layer.bindTooltip(esc(f.properties.name), {
            permanent: true, direction: 'top', className: 'place-label', interactive: false, opacity: 1,
          });
        }
      },
    });
    built[name] = { layer: gj, def: def };
    panes[name] = 'leaflet-' + pane + '-pane';
    titles[name] = def.title;
    overlays[def.title] = gj;
    if (def.on) gj.addTo(map);
    const b = gj.getBounds();
    if (b.isValid()) {
      // Fit to where things are (places, routes, services, sites), not to
      // the whole grid of Gi* cells or the reach discs.
      const wide = name === 'gistar_h3' || name === 'safe_haven_coverage';
      const target = wide ? 'wideBounds' : 'bounds';
      const copy = L.latLngBounds(b.getSouthWest(), b.getNorthEast());
      if (target === 'bounds') bounds = bounds ? bounds.extend(copy) : copy;
      else wideBounds = wideBounds ? wideBounds.extend(copy) : copy;
    }
  });

  // The rate drawn thickest in a bin: the 90th percentile of the pieces'
  // rates (short pieces make the maximum an outlier).
  function routeScale(bin) {
    const r = (D.layers || []).find(function (l) { return l.name === 'route_segments'; });
    if (!r) return 0;
    const key = binKey('rate_per_100m', 'rate_per_100m', bin);
    const v = (r.geojson.features || []).map(function (f) { return f.properties[key]; })
      .filter(function (x) { return typeof x === 'number'; })
      .sort(function (a, b) { return a - b; });
    return v.length ? v[Math.min(v.length - 1, Math.floor(0.9 * v.length))] : 0;
  }

  const control = {};
  if (heat) {
    const heatTitle = 'Heatmap (incident density)';
    control[heatTitle] = heat;
    heat.addTo(map);
    titles.heatmap = heatTitle;
  }
  Object.keys(overlays).forEach(function (t) { control[t] = overlays[t]; });
  L.control.layers(null, control, { collapsed: false, position: 'topright' }).addTo(map);

  if (!bounds) bounds = wideBounds;
  if (!bounds && heat) bounds = tileBounds();
  if (bounds) map.fitBounds(bounds, { padding: [20, 20] });
  else map.setView([0, 0], 2);

  function tileBounds() {
    let b = null;
    Object.keys(tileSets).forEach(function (bin) {
      tileSets[bin].tiles.forEach(function (t) {
        const [z, x, y] = t.split('/').map(Number);
        const n = Math.pow(2, z);
        const lon = function (xx) { return xx / n * 360 - 180; };
        const lat = function (yy) { return Math.atan(Math.sinh(Math.PI * (1 - 2 * yy / n))) * 180 / Math.PI; };
        const tb = L.latLngBounds([lat(y + 1), lon(x)], [lat(y), lon(x + 1)]);
        b = b ? b.extend(tb) : tb;
      });
    });
    return b;
  }

  // ------------------------------------------------------------- controls

  const time = document.getElementById('time');
  const showing = el('p', { id: 'showing' });

  function button(text, attrs, onClick) {
    const b = el('button', Object.assign({ type: 'button', text: text }, attrs));
    b.addEventListener('click', onClick);
    return b;
  }

  function renderControls() {
    time.innerHTML = '';
    if (!bins.length) {
      time.appendChild(el('p', { class: 'muted small', text: 'No time bins in this output.' }));
      return;
    }
    if (twoWay) {
      time.appendChild(el('h2', { text: 'Time of day' }));
      const hb = el('div', { class: 'buttons hours' });
      hb.appendChild(button('All hours', { 'data-hour': 'all', 'aria-pressed': String(state.hour === 'all') }, function () {
        state.hour = 'all'; state.season = 'all'; update();
      }));
      hours.forEach(function (h) {
        hb.appendChild(button(h.replace('-', '–'), { 'data-hour': h, 'aria-pressed': String(state.hour === h), title: hourLabel(h) }, function () {
          state.hour = h;
          if (state.season === 'all') state.season = state.lastSeason || seasons[0];
          update();
        }));
      });
      time.appendChild(hb);
      time.appendChild(el('h2', { text: 'Season' }));
      const sb = el('div', { class: 'buttons seasons' });
      sb.appendChild(button('All year', { 'data-season': 'all', 'aria-pressed': String(state.season === 'all') }, function () {
        state.hour = 'all'; state.season = 'all'; update();
      }));
      seasons.forEach(function (s) {
        sb.appendChild(button(seasonLabel(s), { 'data-season': s, 'aria-pressed': String(state.season === s) }, function () {
          state.season = s;
          if (state.hour === 'all') state.hour = state.lastHour || busiestHour(s);
          update();
        }));
      });
      time.appendChild(sb);
    } else {
      time.appendChild(el('h2', { text: 'Time bin' }));
      const bb = el('div', { class: 'buttons single' });
      bins.forEach(function (b) {
        bb.appendChild(button(binLabel(b), { 'data-bin': b, 'aria-pressed': String(state.single === b) }, function () {
          state.single = b; update();
        }));
      });
      time.appendChild(bb);
    }
    const bin = currentBin();
    let hint = '';
    if (twoWay) {
      hint = bin === 'all'
        ? 'Pick an hour or a season: the maps exist per hour × season.'
        : '“All hours” and “All year” go together: the maps exist for the whole period and per hour × season.';
    }
    if (heat && !(tileSets[bin] && tileSets[bin].tiles.length)) {
      hint = 'No heatmap for this time: no area had enough incidents nearby to be shown. ' + hint;
    }
    showing.innerHTML = '';
    showing.appendChild(el('strong', { text: 'Showing ' + binLabel(bin) }));
    showing.appendChild(el('span', { text: hint }));
    time.appendChild(showing);
  }

  function update() {
    if (state.hour !== 'all') state.lastHour = state.hour;
    if (state.season !== 'all') state.lastSeason = state.season;
    const bin = currentBin();
    if (heat) heat.setSet(tileSets[bin] || null);
    const scale = routeScale(bin);
    Object.keys(built).forEach(function (name) {
      const b = built[name];
      if (!b.def.follows) return;
      b.layer.eachLayer(function (layer) {
        if (layer.setStyle && b.def.style) layer.setStyle(b.def.style(layer.feature, bin, scale));
        if (layer.isPopupOpen && layer.isPopupOpen()) layer.setPopupContent(popupHtml(b.def, layer.feature.properties || {}, bin));
      });
    });
    document.getElementById('map').setAttribute('data-bin', bin);
    renderControls();
    renderLegend(bin, scale);
  }

  // --------------------------------------------------------------- legend

  function classesInData() {
    const g = (D.layers || []).find(function (l) { return l.name === 'gistar_h3'; });
    if (!g) return [];
    const found = new Set();
    (g.geojson.features || []).forEach(function (f) {
      Object.keys(f.properties || {}).forEach(function (key) {
        if (key === 'class' || key.indexOf('class_') === 0) {
          const v = f.properties[key];
          if (typeof v === 'string') found.add(v);
        }
      });
    });
    const rank = function (c) {
      const m = /^(hot|cold)_(\d+)$/.exec(c);
      if (!m) return [1, 0];
      return m[1] === 'hot' ? [0, -Number(m[2])] : [2, -Number(m[2])];
    };
    return Array.from(found).sort(function (a, b) {
      const ra = rank(a), rb = rank(b);
      return ra[0] - rb[0] || ra[1] - rb[1] || (a < b ? -1 : 1);
    });
  }
  const classes = classesInData();

  function key(swatch, text) {
    return el('li', {}, [swatch, el('span', { text: text })]);
  }
  function box(style) { return el('span', { class: 'swatch', style: style }); }

  function renderLegend(bin, scale) {
    const lg = document.getElementById('legend');
    lg.innerHTML = '';
    if (heat && legend) {
      lg.appendChild(el('h2', { text: 'Heatmap: incident density' }));
      const ramp = el('div', { class: 'ramp' });
      if (legend.image) {
        ramp.appendChild(el('img', { src: legend.image, alt: 'colour ramp of the heatmap' }));
      }
      if (legend.domain && legend.domain.length === 2) {
        ramp.appendChild(el('div', { class: 'ends' }, [
          el('span', { text: fmtNumber(legend.domain[0]) }),
          el('span', { text: (legend.scaling || '') + ' scale' }),
          el('span', { text: fmtNumber(legend.domain[1]) }),
        ]));
      }
      lg.appendChild(ramp);
      lg.appendChild(el('p', {
        class: 'muted small',
        text: (legend.unit || '') + '. One colour scale for all times; transparent below ' +
          fmtNumber(legend.transparent_below || (legend.domain ? legend.domain[0] : 0)) +
          ' and where fewer than ' + k + ' incidents are near.',
      }));
    }
    const ul = el('ul', { class: 'keys' });
    if (built.gistar_h3) {
      lg.appendChild(el('h2', { text: 'Gi* hot and cold spots' }));
      classes.forEach(function (c) {
        const col = classColour(c);
        ul.appendChild(key(col ? box('background:' + col + ';opacity:0.75')
          : box('border:1px solid #8c959f;background:transparent'), classLabel(c)));
      });
      lg.appendChild(ul);
    }
    const other = el('ul', { class: 'keys' });
    if (built.places) other.appendChild(key(box('border:2px solid #24292f;background:rgba(36,41,47,0.06)'), 'Place (square, park)'));
    if (built.route_segments) {
      other.appendChild(key(el('span', { class: 'swatch line', style: 'border-top:2px solid ' + routeColour(0) }), 'Route: few incidents per 100 m'));
      other.appendChild(key(el('span', { class: 'swatch line', style: 'border-top:8px solid ' + routeColour(1) }),
        'Route: ' + fmtNumber(scale) + ' or more incidents per 100 m (this time)'));
      other.appendChild(key(el('span', { class: 'swatch line', style: 'border-top:2px dashed #8c959f' }), 'Route piece withheld (fewer than ' + k + ')'));
    }
    if (built.services) {
      other.appendChild(key(el('span', { class: 'swatch dot', style: 'background:' + SERVICE_OPEN + ';border:1.5px solid #24292f' }), 'Service open most of this time'));
      other.appendChild(key(el('span', { class: 'swatch dot', style: 'background:' + SERVICE_SOME + ';border:1.5px solid #24292f' }), 'Service open some of this time'));
      other.appendChild(key(el('span', { class: 'swatch dot', style: 'background:' + SERVICE_CLOSED + ';border:1.5px solid #24292f' }), 'Service closed this time'));
    }
    if (built.safe_havens) other.appendChild(key(el('span', { class: 'swatch dot', style: 'background:' + HAVEN + ';border:2px solid #fff;box-shadow:0 0 0 1px ' + HAVEN }), 'Suggested safe-haven site (rank)'));
    if (built.hot_spot_coverage) {
      other.appendChild(key(box('border:3px solid #1a7f37'), 'Hot spot walked by outreach at its peak'));
      other.appendChild(key(box('border:3px dashed #cf222e'), 'Hot spot not walked at its peak'));
    }
    if (other.children.length) {
      lg.appendChild(el('h2', { text: 'Layers' }));
      lg.appendChild(other);
    }
  }

  // ---------------------------------------------------------------- title

  (function title() {
    const period = metaParam('period');
    const zone = metaParam('time_zone');
    const sub = [];
    if (period && period.first_day && period.last_day) sub.push(period.first_day + ' to ' + period.last_day);
    if (zone) sub.push('local time ' + zone);
    if (sub.length) document.getElementById('subtitle').textContent = sub.join(' · ');
    document.getElementById('title').textContent = 'Where and when incidents concentrate';
  })();

  (D.left_out || []).forEach(function (l) { if (!messages.textContent.includes(l.file)) message(l.file + ' is not shown: ' + l.reason); });

  // For the browser test and for scripts: what the page drew.
  window.byrumViewer = {
    map: map,
    bin: currentBin,
    panes: panes,
    titles: titles,
    classColour: classColour,
  };

  update();
})();
