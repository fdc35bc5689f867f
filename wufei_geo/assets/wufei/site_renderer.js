/* wufei-geo: the browser side of the facility map (wufei_geo/mapview).
 *
 * Loaded like Leaflet: served by the app from the package (wufei_geo/assets/wufei/), or inlined
 * into a standalone page.  The page itself only calls into it with JSON (per-map texts, colours,
 * the column-wise site payloads of wufei_geo/mapview/payload.py):
 *
 *   var R = WufeiMap.renderer({...});          // one per map: string tables, labels, colours
 *   var layer = R.sites(category, {cluster: b}, payload);   // one Leaflet layer per category
 *   WufeiMap.zoneLabels(R, labels, map, group); WufeiMap.zoneOptions(R); …
 *
 * Sites are drawn on a canvas (one per category layer), not as one DOM element per site: a site
 * is a few numbers in typed arrays; its tooltip and popup are built when the pointer reaches it.
 * Above the cluster threshold the sites of a layer are grouped on a screen grid (recomputed per
 * zoom); a group is drawn as a ring of the status colours of its sites with their count.
 * Every text from data is HTML-escaped (esc) before it reaches a tooltip or popup.
 */
(function (global) {
  'use strict';

  var TAU = Math.PI * 2;

  function esc(v) {
    return String(v).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  // Web Mercator, normalised to [0, 1] (Leaflet's EPSG:3857 pixel = value × 256 × 2^zoom)
  function mercX(lng) { return lng / 360 + 0.5; }
  function mercY(lat) {
    var s = Math.sin(lat * Math.PI / 180);
    s = Math.min(Math.max(s, -0.9999), 0.9999);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }
  function unmercLat(y) { return (2 * Math.atan(Math.exp((0.5 - y) * TAU)) - Math.PI / 2) * 180 / Math.PI; }

  function renderer(R) {
    var sc = R.scale, minPx = R.minPx;
    function val(v) { return v === null ? '<span class="wf-unk">' + esc(R.unknown) + '</span>' : esc(v); }
    R.esc = esc;
    R.layers = [];
    global.WufeiMap.current = R;  // the renderer of the map drawn last (the page's messages go to it)  // every site layer of this map (shown or not), for the same-place lookup

    // popup text j of site p in layer payload D: undefined = row not applicable, null = unknown
    function fv(D, p, j) {
      if (j === 0) return p.site_id;
      var ref, k = R.low[j];
      if (k !== undefined) ref = R.G[D.g ? D.g[p.i] : 0][k];
      else { var col = D.f[j]; ref = col ? col[p.i] : 0; }
      if (ref === -2) return fv(D, p, R.capField);  // normalised capacity: same text as the capacity
      return ref === -1 ? undefined : (ref === 0 ? null : R.S[ref - 1]);
    }
    R.fv = fv;

    // the site at row i of payload D, as its tooltip and popup read it (built on demand)
    R.props = function (D, i) {
      var c = D.c[i];
      var p = {site_id: D.ip !== undefined ? D.ip + D.i[i] : D.i[i], n: D.n[i], s: (c & 7) - 1,
               a: c & 8 ? 1 : 0, o: c & 16 ? 1 : 0, b: D.b ? D.b[i] : 0, r: minPx + (c >> 6), i: i};
      if (c & 32) p.n = fv(D, p, R.townField) + D.n[i];
      return p;
    };

    // the columns of payload D as typed arrays: quantised and Web Mercator coordinates
    R.decode = function (D) {
      var n = D.x.length, qx = new Int32Array(n), qy = new Int32Array(n);
      var mx = new Float64Array(n), my = new Float64Array(n), X = D.x0;
      for (var i = 0; i < n; i++) {
        X += D.x[i];
        qx[i] = X; qy[i] = D.y0 + D.y[i];
        mx[i] = mercX(X / sc); my[i] = mercY(qy[i] / sc);
      }
      return {n: n, qx: qx, qy: qy, mx: mx, my: my, D: D};
    };

    R.tip = function (cat, p, D) {
      var st = p.s >= 0 ? R.st[p.s] : null;
      return '<b>' + esc(p.n) + '</b><br>' + esc(R.cat[cat]) + ' · ' + val(fv(D, p, R.capField)) +
             '<br>' + val(st ? st[0] : null);
    };

    // sites drawn at the same point as (qx, qy), in every layer: [[category, props, payload], …]
    R.at = function (qx, qy) {
      var out = [];
      R.layers.forEach(function (layer) {
        var A = layer._A, lo = 0, hi = A.n;
        while (lo < hi) { var mid = (lo + hi) >> 1; if (A.qx[mid] < qx) lo = mid + 1; else hi = mid; }
        for (var i = lo; i < A.n && A.qx[i] === qx; i++)
          if (A.qy[i] === qy && layer._shown(i)) out.push([layer._cat, R.props(A.D, i), A.D]);
      });
      return out;
    };

    R.pop = function (cat, p, D, same) {
      var st = p.s >= 0 ? R.st[p.s] : null;
      var h = '<div class="wf-pop"><b>' + esc(p.n) + '</b>';
      h += '<table><tr><th>' + esc(R.lab.category) + '</th><td>' + esc(R.cat[cat]) + '</td></tr>' +
           '<tr><th>' + esc(R.lab.status) + '</th><td>' + val(st ? st[0] : null) + '</td></tr>';
      for (var j = 0; j < R.fields.length; j++) {
        var v = fv(D, p, j);
        if (v === undefined) continue;
        h += '<tr><th>' + esc(R.fields[j]) + '</th><td>' + val(v) + '</td></tr>';
      }
      for (var k = 0; k < R.badges.length; k++)
        if (p.b >> k & 1) h += '<tr><th>' + esc(R.badges[k][2]) + '</th><td>' + esc(R.lab.yes) + '</td></tr>';
      h += '</table>';
      // sites drawn at the same point share this popup: the others are listed below
      same = same || [];
      if (same.length > 1) {
        h += '<div class="wf-same"><b>' + esc(R.lab.same.replace('{n}', same.length - 1)) + '</b><ul>';
        for (var q = 0; q < same.length; q++) {
          var o = same[q], os = o[1].s >= 0 ? R.st[o[1].s] : null;
          if (o[1].site_id === p.site_id && o[0] === cat) continue;
          h += '<li>' + esc(o[1].n) + ' (' + esc(o[1].site_id) + ') · ' + esc(R.cat[o[0]]) + ' · ' + val(os ? os[0] : null) + '</li>';
        }
        h += '</ul></div>';
      }
      return h + '</div>';
    };

    R.zoneTip = function (p) {
      var h = '<b>' + esc(p.name) + '</b>';
      if (p.approx) h += '<br>' + esc(R.approx);
      if (p.mlabel !== undefined) h += '<br>' + esc(p.mlabel) + ': ' + val(p.mtext === undefined ? null : p.mtext);
      return h;
    };

    R.sites = function (cat, opts, D) {
      var layer = new (sitesLayerClass())(R, cat, D, !!(opts && opts.cluster));
      R.layers.push(layer);
      return layer;
    };

    // one pointer handler per map: the top-most site (or group) under the pointer of the shown layers
    R._hook = function (map) {
      if (R._map === map) return;
      R._map = map;
      R._tip = L.tooltip({direction: 'top', opacity: 0.95});
      map.on('mousemove', function (e) {
        // no hit tests while a button is held (a drag pans the map)
        var hit = e.originalEvent && e.originalEvent.buttons ? null : R._hit(map, e.latlng);
        var key = hit ? hit.layer._leaflet_id + ':' + (hit.kind === 'site' ? 's' + hit.i : 'g' + hit.x + ',' + hit.y) : null;
        map.getContainer().style.cursor = hit ? 'pointer' : '';
        // over a site, the hover tooltip of the zone beneath is closed (a marker covers its zone)
        if (hit && R._zoneTip && R._zoneTip._map) R._zoneTip.close();
        if (key === R._tipKey) return;
        R._tipKey = key;
        if (!hit || hit.kind !== 'site') { map.closeTooltip(R._tip); return; }
        var A = hit.layer._A, p = R.props(A.D, hit.i), pile = R.pileOf(hit.layer, hit.i);
        R._tip.options.offset = [0, -p.r / 2];
        R._tip.setLatLng(hit.latlng).setContent(pile ? R.pileTip(pile) : R.tip(hit.layer._cat, p, A.D));
        map.openTooltip(R._tip);
      });
      map.on('tooltipopen', function (e) {
        if (e.tooltip !== R._tip && !e.tooltip.options.permanent) R._zoneTip = e.tooltip;
      });
      map.on('mouseout', function () { R._tipKey = null; map.closeTooltip(R._tip); });
      map.on('click', function (e) {
        var hit = R._hit(map, e.latlng);
        if (!hit) return;
        if (hit.kind === 'group') { hit.layer._zoomTo(hit.g); return; }
        var pile = R.pileOf(hit.layer, hit.i);
        if (pile) { R.openPile(map, pile); return; }
        hit.layer._open(hit.i);
      });
      // an open popup is never under the legend: the legend folds while it is open
      map.on('popupopen', function () {
        var d = document.querySelector('.wf-legend details');
        if (d && d.open) { d.open = false; R._legendFolded = true; }
      });
      map.on('popupclose', function () {
        var d = document.querySelector('.wf-legend details');
        if (d && R._legendFolded && !map._popup) { d.open = true; R._legendFolded = false; }
      });
      // the view reaches whoever listens (the app writes it into the address) without a rerun
      map.on('moveend', function () { if (R.onView) R.onView(map); });
    };

    // --- stacks: sites drawn on top of one another at this zoom ------------------------------
    // After each drawing, sites whose markers overlap so that one hides another (centres closer
    // than the mean of their radii) form a stack: it is drawn with a count, its tooltip says how
    // many sites it holds, and a click lists them, each entry opening that site's popup.
    R.pileOf = function (layer, i) {
      var pile = R._pileOf && R._pileOf.get(layer._leaflet_id + ':' + i);
      return pile && pile.members.length > 1 ? pile : null;
    };
    function memberName(m) { var p = R.props(m.layer._A.D, m.i); return p; }
    R.pileTip = function (pile) {
      var h = '<b>' + esc(R.lab.stack.replace('{n}', pile.members.length)) + '</b>';
      pile.members.slice(0, 8).forEach(function (m) { h += '<br>' + esc(memberName(m).n); });
      if (pile.members.length > 8) h += '<br>…';
      return h;
    };
    R.openPile = function (map, pile) {
      var box = document.createElement('div');
      box.className = 'wf-pop wf-stack';
      var head = document.createElement('b');
      head.textContent = R.lab.stackList.replace('{n}', pile.members.length);
      box.appendChild(head);
      var ul = document.createElement('ul');
      pile.members.forEach(function (m) {
        var p = memberName(m), st = p.s >= 0 ? R.st[p.s] : null, li = document.createElement('li');
        var a = document.createElement('a');
        a.href = '#'; a.className = 'wf-stack-entry'; a.setAttribute('data-site', p.site_id);
        a.textContent = p.n + ' (' + p.site_id + ')';
        a.addEventListener('click', function (ev) { ev.preventDefault(); m.layer._open(m.i, pile); });
        li.appendChild(a);
        var note = document.createElement('span');
        note.textContent = ' · ' + R.cat[m.layer._cat] + ' · ' + (st ? st[0] : R.unknown);
        li.appendChild(note);
        ul.appendChild(li);
      });
      box.appendChild(ul);
      var top = pile.members[pile.members.length - 1];
      L.popup({maxWidth: 380, offset: [0, 7 - top.r]}).setLatLng(top.layer._latlng(top.i)).setContent(box).openOn(map);
    };

    // stacks of the last drawing: union of overlapping drawn sites on a screen grid
    R._findPiles = function () {
      var items = [], cells = new Map(), CELL = 40;
      R.layers.forEach(function (layer) {
        if (!layer._map) return;
        layer.drawn.forEach(function (d) {
          if (d.kind === 'site') items.push({layer: layer, i: d.i, x: d.x, y: d.y, r: d.r});
        });
      });
      var parent = items.map(function (_, k) { return k; });
      function find(k) { while (parent[k] !== k) { parent[k] = parent[parent[k]]; k = parent[k]; } return k; }
      items.forEach(function (it, k) {
        var cx = Math.floor(it.x / CELL), cy = Math.floor(it.y / CELL);
        for (var gx = cx - 1; gx <= cx + 1; gx++) for (var gy = cy - 1; gy <= cy + 1; gy++) {
          var list = cells.get(gx * 67108864 + gy);
          if (!list) continue;
          list.forEach(function (j) {
            var o = items[j], dx = o.x - it.x, dy = o.y - it.y, lim = (o.r + it.r) / 2;
            if (dx * dx + dy * dy < lim * lim) parent[find(j)] = find(k);
          });
        }
        var key = cx * 67108864 + cy;
        (cells.get(key) || cells.set(key, []).get(key)).push(k);
      });
      var piles = new Map(), pileOf = new Map();
      items.forEach(function (it, k) {
        var root = find(k), pile = piles.get(root);
        if (!pile) { pile = {members: []}; piles.set(root, pile); }
        pile.members.push(it);
        pileOf.set(it.layer._leaflet_id + ':' + it.i, pile);
      });
      R._pileOf = pileOf;
      R.piles = [];
      piles.forEach(function (p) { if (p.members.length > 1) R.piles.push(p); });
      return R.piles;
    };

    // --- the filter, the selection and the emphasis, sent by the page as one small message ------
    // mask: base64 bit set over every site of every layer in layer order (bit set = shown);
    // badges: bit set of the marker badges drawn (the others are summarised in the legend);
    // zones: {code: {fill, mtext, mshort, mvalue}} (shading of the shown sites) or null;
    // legend: the legend's HTML for the shown sites; select: the selected site id or null;
    // focus: centre on the selected site and open its popup (a link was opened).
    // the sites shown: a base64 bit set over every site in layer order (null: all); false when
    // it is the set already shown (nothing is drawn again)
    R.applyMask = function (b64, now) {
      if (b64 === R._maskB64) return false;
      R._maskB64 = b64;
      var bytes = atob(b64 || ''), off = 0;
      R.layers.forEach(function (layer) {
        var n = layer._A.n, mask = new Uint8Array(n), count = 0;
        for (var i = 0; i < n; i++) {
          var k = off + i, on = b64 === null ? 1 : (bytes.charCodeAt(k >> 3) >> (k & 7)) & 1;
          mask[i] = on; count += on;
        }
        off += n;
        layer._setMask(mask, count);
      });
      // now: drawn at once (a preview while the page is busy; the next frame may be far off)
      if (R._canvas) { if (now && R._canvas._map) R._canvas._redraw(); else R._canvas.requestDraw(); }
      return true;
    };
    R.siteCount = function () { return R.layers.reduce(function (a, l) { return a + l._A.n; }, 0); };

    R.apply = function (map, msg) {
      R.applyMask(msg.mask === undefined ? null : msg.mask);
      R.badgeOn = msg.badges === undefined ? -1 : msg.badges;
      R._selected = null;
      if (msg.select) R.layers.forEach(function (layer) {
        for (var i = 0; i < layer._A.n; i++) if (String(layer.siteId(i)) === msg.select && layer._shown(i)) R._selected = {layer: layer, i: i};
      });
      (R.links || []).forEach(function (l) {
        var on = !l.site || R.layers.some(function (layer) { return layer._shownId(l.site); });
        l.layer.setStyle({opacity: on ? 0.9 : 0}); l.layer.options.interactive = on;
      });
      if (msg.zones && R.zones) Object.keys(R.zones).forEach(function (code) {
        var z = R.zones[code], p = z.feature.properties, v = msg.zones[code];
        if (!v) return;
        for (var key in v) p[key] = v[key];
        z.setStyle(zoneOptions(R).style(z.feature));
        if (R.labelTips && R.labelTips[code]) R.labelTips[code].setContent(labelHtml(R, {name: p.name, sub: p.mshort}));
      });
      if (msg.legend !== undefined) {
        var box = document.querySelector('.wf-legend');
        if (box) {
          var d = box.querySelector('details'), open = d ? d.open : true;
          box.innerHTML = msg.legend;
          d = box.querySelector('details'); if (d) d.open = open;
        }
        if (map.__wfFitted) fitDistrict(R, map, map.__wfFitted.b);  // the opening view, if untouched, beside it
      }
      if (R._canvas) R._canvas.requestDraw();
      if (msg.focus && R._selected) {
        var s = R._selected, ll = s.layer._latlng(s.i);
        map.setView(ll, Math.max(map.getZoom(), R.focusZoom), {animate: false});
        // the popup is measured once Leaflet's stylesheet applies (the component appends it
        // without waiting): centred across, down the map only as far as the popup needs
        whenStyled(map, function () {
          s.layer._open(s.i, null, true);
          var pop = map.getContainer().querySelector('.leaflet-popup'), H = map.getSize().y;
          var top = pop ? pop.getBoundingClientRect().top - map.getContainer().getBoundingClientRect().top : H;
          if (top < 10) map.panBy([0, -Math.min(10 - top, H / 2 - 20)], {animate: false});
          R.focused = String(s.layer.siteId(s.i));
        });
      }
      R.applied = (R.applied || 0) + 1;
    };

    R._hit = function (map, latlng) {
      if (map._animatingZoom) return null;
      for (var k = R.layers.length - 1; k >= 0; k--) {
        var layer = R.layers[k];
        if (!layer._map) continue;
        var hit = layer._hitTest(latlng);
        if (hit) return hit;
      }
      return null;
    };
    return R;
  }

  // run fn once Leaflet's stylesheet applies to the map (its panes are positioned), at most ~10 s on
  function whenStyled(map, fn, tries) {
    var pane = map.getPane('popupPane');
    if ((pane && getComputedStyle(pane).position === 'absolute') || (tries || 0) > 600) { fn(); return; }
    L.Util.requestAnimFrame(function () { whenStyled(map, fn, (tries || 0) + 1); });
  }

  // --- drawing ---------------------------------------------------------------------------------
  function drawSite(ctx, R, x, y, d, colour, approx, glyph, bits) {
    var r = d / 2;
    if (approx) {
      ctx.beginPath(); ctx.arc(x, y, r, 0, TAU); ctx.fillStyle = colour; ctx.fill();
      ctx.lineWidth = 1; ctx.strokeStyle = 'rgba(255,255,255,.8)';
      ctx.beginPath(); ctx.arc(x, y, r - 0.5, 0, TAU); ctx.stroke();
      ctx.setLineDash([3, 2]); ctx.lineWidth = 1.5; ctx.strokeStyle = '#222';
      ctx.beginPath(); ctx.arc(x, y, r + 1.75, 0, TAU); ctx.stroke(); ctx.setLineDash([]);
    } else {
      // a white rim with a thin dark ring outside it (style.OUTLINE_PRECISE, MARKER_RING)
      ctx.beginPath(); ctx.arc(x, y, r + 1, 0, TAU); ctx.fillStyle = 'rgba(0,0,0,.55)'; ctx.fill();
      ctx.beginPath(); ctx.arc(x, y, r, 0, TAU); ctx.fillStyle = '#ffffff'; ctx.fill();
      ctx.beginPath(); ctx.arc(x, y, r - 2, 0, TAU); ctx.fillStyle = colour; ctx.fill();
    }
    if (glyph) stampText(ctx, glyph, 'bold 11px sans-serif', '#ffffff', x, y);
    bits &= R.badgeOn === undefined ? -1 : R.badgeOn;
    // below the detail zoom one state per site at most: the first in MARKER_BADGES order
    if (bits && R._zoom < R.detailZoom) bits &= -bits;
    if (!bits) return;
    var half = R.badgePx / 2;
    for (var k = 0; k < R.badges.length; k++) {
      if (!(bits >> k & 1)) continue;
      var b = R.badges[k], corner = b[5];
      // the badge's box sits 4 px outside the marker's box in its corner (style.MARKER_BADGES corner)
      var bx = x + (corner.charAt(1) === 'r' ? r + 4 - half : -r - 4 + half);
      var by = y + (corner.charAt(0) === 'b' ? r + 4 - half : -r - 4 + half);
      ctx.beginPath(); ctx.arc(bx, by, half + 1, 0, TAU); ctx.fillStyle = '#ffffff'; ctx.fill();
      ctx.beginPath(); ctx.arc(bx, by, half, 0, TAU); ctx.fillStyle = b[3]; ctx.fill();
      stampText(ctx, b[1], 'bold 9px sans-serif', b[4], bx, by);
    }
  }

  // text is shaped once per distinct glyph (a category's glyph, a badge's) into a small canvas and
  // stamped with drawImage after that: fillText per marker cost most of a drawing
  var textSprites = new Map();
  function stampText(ctx, text, font, colour, x, y) {
    var key = font + '|' + colour + '|' + text, sp = textSprites.get(key), dpr = window.devicePixelRatio || 1;
    if (sp === undefined) {
      var probe = document.createElement('canvas').getContext('2d');
      probe.font = font;
      var w = Math.ceil(probe.measureText(text).width) + 4, h = 16;
      var cv = document.createElement('canvas');
      cv.width = Math.ceil(w * dpr); cv.height = Math.ceil(h * dpr);
      var c = cv.getContext('2d');
      c.scale(dpr, dpr); c.font = font; c.fillStyle = colour; c.textAlign = 'center'; c.textBaseline = 'middle';
      c.fillText(text, w / 2, h / 2 + 0.5);
      sp = {cv: cv, w: w, h: h};
      textSprites.set(key, sp);
    }
    ctx.drawImage(sp.cv, x - sp.w / 2, y - sp.h / 2, sp.w, sp.h);
  }

  // the number of sites in a stack, in a small dark bubble at its top-right
  function drawCount(ctx, x, y, n) {
    var r = n < 10 ? 7 : 9;
    ctx.beginPath(); ctx.arc(x, y, r + 1, 0, TAU); ctx.fillStyle = '#ffffff'; ctx.fill();
    ctx.beginPath(); ctx.arc(x, y, r, 0, TAU); ctx.fillStyle = '#222222'; ctx.fill();
    stampText(ctx, String(n), 'bold 10px sans-serif', '#ffffff', x, y);
  }

  function groupRadius(n) { return n < 10 ? 14 : n < 100 ? 17 : n < 1000 ? 20 : 23; }

  // a group of sites: a ring of the status colours in proportion to its sites, the count inside
  function drawGroup(ctx, R, x, y, n, counts) {
    var r = groupRadius(n), a = -Math.PI / 2;
    ctx.beginPath(); ctx.arc(x, y, r + 1, 0, TAU); ctx.fillStyle = 'rgba(0,0,0,.45)'; ctx.fill();
    for (var s = 0; s < counts.length; s++) {
      if (!counts[s]) continue;
      var b = a + TAU * counts[s] / n;
      ctx.beginPath(); ctx.moveTo(x, y); ctx.arc(x, y, r, a, b); ctx.closePath();
      ctx.fillStyle = s < R.st.length ? R.st[s][1] : R.unknownColour; ctx.fill();
      a = b;
    }
    ctx.beginPath(); ctx.arc(x, y, r - 5, 0, TAU); ctx.fillStyle = 'rgba(255,255,255,.95)'; ctx.fill();
    ctx.fillStyle = '#222'; ctx.font = 'bold 11px sans-serif'; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    ctx.fillText(String(n), x, y + 0.5);
  }

  // --- the canvas and the layers ------------------------------------------------------------------
  // One canvas per map draws every shown site layer (one canvas, not one per category: a full-map
  // canvas per layer multiplied the memory and the compositing of every frame); the pointer
  // goes through it to the map (zones keep their tooltips) and R._hook hit-tests the sites.
  var SitesCanvas = null, SitesLayer = null;
  function sitesCanvasClass() {
    if (SitesCanvas) return SitesCanvas;
    SitesCanvas = L.Canvas.extend({
      initialize: function (R) {
        L.Canvas.prototype.initialize.call(this, {pane: 'markerPane', padding: 0.1});
        this._R = R;
      },
      onAdd: function (map) {
        L.Canvas.prototype.onAdd.call(this, map);
        this._container.style.pointerEvents = 'none';
      },
      // no DOM listeners on the canvas: the map's pointer events are handled by R._hook
      _initContainer: function () {
        var container = this._container = document.createElement('canvas');
        this._ctx = container.getContext('2d');
      },
      _updatePaths: function () { this._redraw(); },
      _redraw: function () {
        this._redrawRequest = null; this._redrawBounds = null;
        if (!this._map) return;
        this._clear(); this._draw();
      },
      // redraw in the next frame (several layers added or removed at once: one drawing)
      requestDraw: function () {
        if (!this._redrawRequest) this._redrawRequest = L.Util.requestAnimFrame(this._redraw, this);
      },
      _draw: function () {
        var map = this._map, b = this._bounds;
        if (!map || !b) return;
        var layers = this._R.layers, t0 = performance.now();
        for (var k = 0; k < layers.length; k++)
          if (layers[k]._map) layers[k]._drawOn(this._ctx, map, b);
        var R = this._R, ctx = this._ctx, o = map.getPixelOrigin();
        R._findPiles().forEach(function (pile) {
          var top = pile.members[pile.members.length - 1];
          drawCount(ctx, top.x - o.x + top.r * 0.75, top.y - o.y - top.r * 0.75, pile.members.length);
        });
        if (R._selected && R._selected.layer._map) {
          var s = R._selected, sx = s.layer._A.mx[s.i] * 256 * Math.pow(2, map.getZoom()) - o.x;
          var sy = s.layer._A.my[s.i] * 256 * Math.pow(2, map.getZoom()) - o.y;
          ctx.beginPath(); ctx.arc(sx, sy, 20, 0, TAU); ctx.lineWidth = 4; ctx.strokeStyle = '#00bcd4'; ctx.stroke();
        }
        (this.drawMs = this.drawMs || []).push(performance.now() - t0);  // each drawing's time (diagnostics)
        map.fire('wf:sitesdrawn');  // the town labels step out of the way of what was drawn
      }
    });
    return SitesCanvas;
  }

  function sitesLayerClass() {
    if (SitesLayer) return SitesLayer;
    SitesLayer = L.Layer.extend({
      initialize: function (R, cat, D, cluster) {
        this._R = R; this._cat = cat; this._cluster = cluster;
        this._A = R.decode(D);
        this._glyph = R.glyph[cat];
        this._groupsZoom = null;
        this._mask = null;     // Uint8Array: 1 = shown by the page's filter (null: all)
        this.shownCount = this._A.n;
        this.represented = 0;  // sites on screen after the last drawing (a group counts as its sites)
        this.drawn = [];       // what the last drawing put on screen: [{kind, i | g, n, x, y, r, colour}]
      },

      onAdd: function (map) {
        var R = this._R;
        R._hook(map);
        if (!R._canvas) R._canvas = new (sitesCanvasClass())(R);
        if (!R._canvas._map) R._canvas.addTo(map);
        R._canvas.requestDraw();
      },

      onRemove: function () {
        this.represented = 0; this.drawn = [];
        if (this._R._canvas) this._R._canvas.requestDraw();
      },

      _shown: function (i) { return !this._mask || this._mask[i] === 1; },
      _shownId: function (id) {
        for (var i = 0; i < this._A.n; i++) if (String(this.siteId(i)) === id) return this._shown(i);
        return false;
      },
      _setMask: function (mask, count) { this._mask = mask; this.shownCount = count; this._groupsZoom = null; },

      // groups of this layer's sites at zoom z: one per grid cell of cellPx screen pixels
      _groups: function (z) {
        if (this._groupsZoom === z) return this._grp;
        var A = this._A, R = this._R, S = 256 * Math.pow(2, z), cell = R.cellPx, cells = new Map();
        var nst = R.st.length + 1, out = [];
        for (var i = 0; i < A.n; i++) {
          if (!this._shown(i)) continue;
          var px = A.mx[i] * S, py = A.my[i] * S, key = Math.floor(px / cell) * 67108864 + Math.floor(py / cell);
          var g = cells.get(key);
          if (g === undefined) {
            g = {i: i, n: 0, sx: 0, sy: 0, x0: A.mx[i], x1: A.mx[i], y0: A.my[i], y1: A.my[i], counts: new Uint32Array(nst)};
            cells.set(key, g); out.push(g);
          }
          g.n++; g.sx += px; g.sy += py;
          var s = (A.D.c[i] & 7) - 1;
          g.counts[s >= 0 ? s : nst - 1]++;
          if (A.mx[i] < g.x0) g.x0 = A.mx[i]; else if (A.mx[i] > g.x1) g.x1 = A.mx[i];
          if (A.my[i] < g.y0) g.y0 = A.my[i]; else if (A.my[i] > g.y1) g.y1 = A.my[i];
        }
        this._groupsZoom = z; this._grp = out;
        return out;
      },

      // draw this layer's sites (or groups) inside the canvas bounds b (layer pixels)
      _drawOn: function (ctx, map, b) {
        var R = this._R, A = this._A, z = map.getZoom(), S = 256 * Math.pow(2, z);
        var o = map.getPixelOrigin(), pad = 40, drawn = [], represented = 0, glyph = this._glyph;
        var minX = b.min.x - pad, minY = b.min.y - pad, maxX = b.max.x + pad, maxY = b.max.y + pad;
        var mask = this._mask;
        R._zoom = z;
        function site(i) {
          if (mask && !mask[i]) return;
          var x = A.mx[i] * S - o.x, y = A.my[i] * S - o.y;
          if (x < minX || x > maxX || y < minY || y > maxY) return;
          var c = A.D.c[i], s = (c & 7) - 1, d = R.minPx + (c >> 6);
          var colour = s >= 0 ? R.st[s][1] : R.unknownColour;
          drawSite(ctx, R, x, y, d, colour, c & 8, glyph, A.D.b ? A.D.b[i] : 0);
          drawn.push({kind: 'site', i: i, x: x + o.x, y: y + o.y, r: d / 2, colour: colour});
          represented++;
        }
        if (this._cluster && z < R.clusterOffZoom) {
          var groups = this._groups(z);
          for (var k = 0; k < groups.length; k++) {
            var g = groups[k];
            if (g.n === 1) { site(g.i); continue; }
            var gx = g.sx / g.n - o.x, gy = g.sy / g.n - o.y;
            if (gx < minX || gx > maxX || gy < minY || gy > maxY) continue;
            drawGroup(ctx, R, gx, gy, g.n, g.counts);
            drawn.push({kind: 'group', g: g, n: g.n, x: gx + o.x, y: gy + o.y, r: groupRadius(g.n)});
            represented += g.n;
          }
        } else {
          for (var i = 0; i < A.n; i++) site(i);
        }
        this.drawn = drawn;
        this.represented = represented;
        this.drawings = (this.drawings || 0) + 1;
      },

      // the top-most site or group of this layer under latlng (pixels at the drawing's zoom)
      _hitTest: function (latlng) {
        var map = this._map, S = 256 * Math.pow(2, map.getZoom());
        var px = mercX(latlng.lng) * S, py = mercY(latlng.lat) * S;
        for (var k = this.drawn.length - 1; k >= 0; k--) {
          var t = this.drawn[k], dx = px - t.x, dy = py - t.y, r = t.r + 2;
          if (dx * dx + dy * dy <= r * r) {
            if (t.kind === 'group') return {layer: this, kind: 'group', g: t.g, x: t.x, y: t.y};
            return {layer: this, kind: 'site', i: t.i, latlng: this._latlng(t.i)};
          }
        }
        return null;
      },

      // the site id of row i (for callers and tests: which site a drawn marker is)
      siteId: function (i) { var D = this._A.D; return D.ip !== undefined ? D.ip + D.i[i] : D.i[i]; },

      _latlng: function (i) { return L.latLng(this._A.qy[i] / this._R.scale, this._A.qx[i] / this._R.scale); },

      // the site's popup (shared by the sites at the same point), and a click event for listeners
      // (streamlit-folium reads e.layer.toGeoJSON().properties.site_id)
      _open: function (i, pile, noPan) {
        var R = this._R, A = this._A, map = this._map, p = R.props(A.D, i), ll = this._latlng(i), cat = this._cat;
        var same = R.at(A.qx[i], A.qy[i]), content = R.pop(cat, p, A.D, same);
        if (pile) {  // opened from a stack's list: a way back to the list
          var box = document.createElement('div');
          box.innerHTML = content;
          var back = document.createElement('a');
          back.href = '#'; back.className = 'wf-stack-back';
          back.textContent = R.lab.stackBack.replace('{n}', pile.members.length);
          back.addEventListener('click', function (ev) { ev.preventDefault(); R.openPile(map, pile); });
          box.insertBefore(back, box.firstChild);
          content = box;
        }
        // never taller than the map less room for the marker: a long popup scrolls
        var maxH = Math.max(160, map.getSize().y - 140);
        L.popup({maxWidth: 380, maxHeight: maxH, offset: [0, 7 - p.r / 2], autoPan: !noPan}).setLatLng(ll).setContent(content).openOn(map);
        var feature = {type: 'Feature', properties: p, geometry: {type: 'Point', coordinates: [ll.lng, ll.lat]}};
        this.fire('click', {latlng: ll, layer: {feature: feature, toGeoJSON: function () { return feature; }}});
      },

      // a click on a group zooms to its sites (as the cluster plugin did)
      _zoomTo: function (g) {
        var map = this._map;
        var sw = L.latLng(unmercLat(g.y1), (g.x0 - 0.5) * 360), ne = L.latLng(unmercLat(g.y0), (g.x1 - 0.5) * 360);
        var z = Math.min(map.getBoundsZoom(L.latLngBounds(sw, ne), false, L.point(40, 40)), map.getMaxZoom());
        z = Math.max(z, map.getZoom() + 1);
        map.setView(L.latLngBounds(sw, ne).getCenter(), Math.min(z, map.getMaxZoom()));
      }
    });
    return SitesLayer;
  }

  // --- the other overlays ----------------------------------------------------------------------
  // town zones: dashed when approximate, filled with the shading colour; hover tooltip
  function zoneOptions(R) {
    return {
      style: function (f) {
        var p = f.properties;
        return {color: '#555', weight: 1.2, dashArray: p.approx ? '5 4' : null, fill: true,
                fillColor: p.fill || '#ffffff', fillOpacity: p.fill ? 0.6 : 0.05};
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return R.zoneTip(f.properties); }, {sticky: true});
        (R.zones = R.zones || {})[f.properties.code] = layer;  // a town label stays inside its zone
      }
    };
  }

  function districtOptions() {
    return {style: function () { return {color: '#333', weight: 2.5, fill: false}; }, interactive: false};
  }

  function linkOptions(R) {
    return {
      style: function () { return {color: '#e8950c', weight: 2, dashArray: '6 4', opacity: 0.9}; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(R.esc(f.properties.label));
        (R.links = R.links || []).push({layer: layer, site: f.properties.site_id});  // hidden with its station
      }
    };
  }

  // Each town's name (and shading value) as a permanent label at a fixed anchor inside its zone.
  // The label's box does not depend on the stylesheet (inline position/white-space) and every
  // label is laid out again once the page has loaded and after each view change (issue 13: a
  // label measured before Leaflet's stylesheet applied stayed shifted by half the map's width).
  function zoneLabels(R, Z, map, G) {
    // labels under the markers (marker pane: 600), above the zones (overlay pane: 400)
    if (!map.getPane('wfLabels')) {
      var pane = map.createPane('wfLabels'); pane.style.zIndex = 450; pane.style.pointerEvents = 'none';
    }
    R.labelTips = {};
    Z.forEach(function (z) {
      var t = L.tooltip({permanent: true, direction: 'center', className: 'wf-zone-label', interactive: false,
                         opacity: 1, pane: 'wfLabels', wfCode: z.code}).setLatLng([z.lat, z.lng]).setContent(labelHtml(R, z));
      t.addTo(G);
      R.labelTips[z.code] = t;
    });
    // a label moved well off its anchor is tied to it by a thin leader line (same pane, no events)
    var leaders = L.layerGroup();
    // reads first (sizes, anchors), then the placements in plain numbers, then writes only where a
    // label's size or place changed: relayout runs after every drawing of the sites
    function relayout() {
      var sites = drawnSites(R, map), fixed = fixedBoxes(map), placed = fixed.slice(), leads = [], todo = [];
      G.eachLayer(function (t) {
        var el = t.getElement();
        if (el) { el.style.position = 'absolute'; el.style.whiteSpace = 'nowrap'; }
        if (t._map && el) todo.push({t: t, el: el});
      });
      todo.forEach(function (d) {
        d.s = labelSizes(d.el); d.w = d.s.w; d.h = d.s.h; d.a = map.latLngToContainerPoint(d.t.getLatLng());
        d.free = covered(labelBox(d.a, d.w, d.h, 0, 0), sites, fixed) === 0;
      });
      // labels already clear of the sites keep their anchors first; the others find room around
      // them — first a clear spot in their own town (a label that moved out first would take
      // another town's room from its own label), then one for the label set compact (one line,
      // smaller: the English names, two lines when shaded, are too large for the north-east towns
      // at the opening zoom), then, for those whose town has no room even so, a clear spot
      // anywhere in the district (as it is, then compact: "Chonggu Town ≥ 10.5" between its
      // neighbours' names), and only where there is none, the spot covered least
      todo.sort(function (a, b) { return (b.free ? 1 : 0) - (a.free ? 1 : 0); });
      [['own', false], ['own', true], ['district', false], ['district', true], ['least', false]].forEach(function (pass) {
        todo.forEach(function (d) {
          if (d.at) return;
          d.compact = pass[1]; d.w = pass[1] ? d.s.cw : d.s.w; d.h = pass[1] ? d.s.ch : d.s.h;
          d.at = clearSpot(map, d, sites, placed, leads, R.zones || {}, pass[0]);
          if (!d.at) return;
          var box = labelBox(d.a, d.w, d.h, d.at[0], d.at[1]), tip = leaderTip(d.a, box);
          placed.push(box);
          if (tip) leads.push(tip);  // no label placed after it may sit on its leader line
        });
      });
      var lines = [];
      todo.forEach(function (d) {
        var tip = leaderTip(d.a, labelBox(d.a, d.w, d.h, d.at[0], d.at[1]));
        if (tip) lines.push(tip);
        var t = d.t, was = t.options.offset || L.point(0, 0), size = d.w + 'x' + d.h;
        if (L.DomUtil.hasClass(d.el, 'wf-compact') !== d.compact) (d.compact ? L.DomUtil.addClass : L.DomUtil.removeClass)(d.el, 'wf-compact');
        if (was.x === d.at[0] && was.y === d.at[1] && t._wfSize === size) return;
        t.options.offset = L.point(d.at[0], d.at[1]); t._wfSize = size;
        t.update();
      });
      var key = JSON.stringify(lines.map(function (l) { return l.map(function (p) { return [p.x, p.y]; }); }));
      if (key === leaders._wfKey) return;
      leaders._wfKey = key;
      leaders.clearLayers();
      // dark grey on a white halo: it reads on every shading colour, thin enough not to pass for a border
      var style = {pane: 'wfLabels', interactive: false, color: '#333', weight: 1.4, opacity: 0.9};
      var halo = {pane: 'wfLabels', interactive: false, color: '#fff', weight: 4, opacity: 0.75};
      lines.forEach(function (l) {
        var ends = [map.containerPointToLatLng(l[0]), map.containerPointToLatLng(l[1])];
        L.polyline(ends, halo).addTo(leaders);
        L.polyline(ends, L.extend({className: 'wf-label-leader'}, style)).addTo(leaders);
        L.circleMarker(ends[0], L.extend({}, style, {radius: 2.5, fill: true, fillColor: '#333', fillOpacity: 1,
                                                     color: '#fff', weight: 1})).addTo(leaders);
      });
    }
    leaders.addTo(map);
    G.addTo(map);
    relayout();
    // after every drawing of the sites; a view change redraws them, so it lays out the labels
    // itself only while the map has no site canvas (nothing drawn yet, or no sites at all)
    map.on('wf:sitesdrawn', relayout);
    map.on('overlayadd overlayremove', relayout);  // the places layer's markers shown or hidden
    map.on('zoomend viewreset resize moveend', function () { if (!(R._canvas && R._canvas._map)) relayout(); });
    if (document.readyState !== 'complete') window.addEventListener('load', relayout);
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(relayout);
    // streamlit-folium appends the stylesheets just before it runs the map's script, without
    // waiting for them: lay out again when each has loaded, and a few times while a busy machine
    // may still be loading them or a fallback font
    Array.prototype.forEach.call(document.querySelectorAll('link[rel="stylesheet"]'), function (link) {
      link.addEventListener('load', relayout);
    });
    [500, 1500, 3000].forEach(function (ms) { setTimeout(relayout, ms); });
    return G;
  }

  // A label's box as it is (w, h) and set compact (cw, ch: the class wf-compact), measured again
  // only when its text or its size as shown changed (a stylesheet or font arriving late)
  function labelSizes(el) {
    var s = el._wfSizes, compact = L.DomUtil.hasClass(el, 'wf-compact'), w = el.offsetWidth, h = el.offsetHeight;
    if (s && s.html === el.innerHTML && (compact ? s.cw === w && s.ch === h : s.w === w && s.h === h)) return s;
    s = {html: el.innerHTML};
    L.DomUtil.removeClass(el, 'wf-compact'); s.w = el.offsetWidth; s.h = el.offsetHeight;
    L.DomUtil.addClass(el, 'wf-compact'); s.cw = el.offsetWidth; s.ch = el.offsetHeight;
    if (!compact) L.DomUtil.removeClass(el, 'wf-compact');
    return (el._wfSizes = s);
  }

  function labelHtml(R, z) {
    return R.esc(z.name) + (z.sub !== undefined && z.sub !== null ? '<br><small>' + R.esc(z.sub) + '</small>' : '');
  }

  // Every site and group the last canvas drawing put on screen, as circles in container pixels.
  function drawnSites(R, map) {
    var out = [], o = map.getPixelOrigin();
    (R.layers || []).forEach(function (layer) {
      if (!layer._map) return;
      layer.drawn.forEach(function (d) {
        var p = map.layerPointToContainerPoint(L.point(d.x - o.x, d.y - o.y));
        out.push({x: p.x, y: p.y, r: d.r + 3});  // + the precision outline and badges' reach
      });
    });
    return out;
  }

  // What a town label must not cover besides the drawn sites, as boxes in container pixels: the
  // map's DOM markers (the places layer's) and what floats over the map (the legends, the zoom
  // and scale controls) — a label under them cannot be read.
  function fixedBoxes(map) {
    var out = [], c = map.getContainer().getBoundingClientRect();
    var add = function (el) {
      var r = el.getBoundingClientRect();
      if (r.width && r.height) out.push({x0: r.left - c.left, y0: r.top - c.top, x1: r.right - c.left, y1: r.bottom - c.top});
    };
    map.eachLayer(function (l) { if (l instanceof L.Marker && l._icon) add(l._icon); });
    Array.prototype.forEach.call(document.querySelectorAll('.leaflet-control, .wf-legend'), add);
    return out;
  }

  // A town label sits centred on its anchor unless drawn sites or another town's label cover it
  // there: then it moves to the nearest spot around the anchor (up to LABEL_REACH px beyond its own
  // half size) where nothing covers it, so every name stays readable at every zoom (the sites stay
  // on top and clickable; the label pane lets the pointer through).  Where no spot is clear, the
  // one covered least.
  // Where nothing within LABEL_REACH is clear (English names are wider than the north-east
  // towns at the opening zoom), the label may go up to LABEL_FAR px away — into another town of
  // the district only where its own has no room, never outside the district — with a leader line
  // to its anchor (drawn when the anchor is over LEADER_MIN px from the label's box).  That line
  // never runs through another town's name, nor does a name sit on another's line: a line through
  // "Zhaoxiang Town" read as tying it to 重固镇's anchor.
  var LABEL_REACH = 48, LABEL_FAR = 150, LABEL_STEP = 6, LABEL_GAP = 3, LEADER_MIN = 8;
  var LABEL_DIRS = [[0, 1], [0, -1], [1, 0], [-1, 0], [1, 1], [-1, 1], [1, -1], [-1, -1]];
  function labelBox(a, w, h, dx, dy) {
    return {x0: a.x + dx - w / 2, x1: a.x + dx + w / 2, y0: a.y + dy - h / 2, y1: a.y + dy + h / 2};
  }
  // the leader line from anchor a to the nearest point of box b, or null when a is at b
  function leaderTip(a, b) {
    var p = L.point(Math.max(b.x0, Math.min(a.x, b.x1)), Math.max(b.y0, Math.min(a.y, b.y1)));
    return p.distanceTo(a) > LEADER_MIN ? [L.point(a.x, a.y), p] : null;
  }
  // how many drawn sites (circles) and placed labels (boxes) overlap box b — counted up to
  // `limit` only (a spot is taken only if it is covered less than the best so far)
  function covered(b, sites, boxes, limit) {
    var n = 0, i;
    if (limit === undefined) limit = Infinity;
    for (i = 0; i < boxes.length && n < limit; i++) {  // a gap of LABEL_GAP px: the DOM rounds the boxes' positions
      var o = boxes[i];
      if (b.x0 < o.x1 + LABEL_GAP && o.x0 < b.x1 + LABEL_GAP && b.y0 < o.y1 + LABEL_GAP && o.y0 < b.y1 + LABEL_GAP) n++;
    }
    for (i = 0; i < sites.length && n < limit; i++) {
      var c = sites[i], nx = Math.max(b.x0, Math.min(c.x, b.x1)), ny = Math.max(b.y0, Math.min(c.y, b.y1));
      if ((c.x - nx) * (c.x - nx) + (c.y - ny) * (c.y - ny) < c.r * c.r) n++;
    }
    return n;
  }
  // whether latlng lies in a zone's polygon (even-odd over every ring: holes and parts included)
  function inZone(zone, latlng) {
    if (zone.getBounds && !zone.getBounds().contains(latlng)) return false;  // the rings' walk costs
    var inside = false;
    (function walk(a) {
      if (!a.length) return;
      if (a[0].lat === undefined) { a.forEach(walk); return; }
      for (var i = 0, j = a.length - 1; i < a.length; j = i++) {
        var p = a[i], q = a[j];
        if ((p.lat > latlng.lat) !== (q.lat > latlng.lat)
            && latlng.lng < (q.lng - p.lng) * (latlng.lat - p.lat) / (q.lat - p.lat) + p.lng) inside = !inside;
      }
    })(zone.getLatLngs());
    return inside;
  }
  function inOtherZone(zones, code, latlng) {
    for (var c in zones) if (c !== code && inZone(zones[c], latlng)) return true;
    return false;
  }
  // where a moved label's centre may go: 0 = its own town, 1 = another town of the district (only
  // where its own town has no clear spot; the leader line ties it to its anchor), -1 = outside
  // the district (never: "Chonggu Town" once went 90 px north of it)
  function spotTier(zones, code, latlng) {
    if (!zones[code]) return inOtherZone(zones, code, latlng) ? -1 : 0;
    if (inZone(zones[code], latlng)) return 0;
    return inOtherZone(zones, code, latlng) ? 1 : -1;
  }
  // whether segment l ([p, q]) passes through box b (Liang–Barsky; the box shrunk by a pixel: a
  // line grazing a label's edge hides no letter)
  function segMeetsBox(l, b) {
    var x = l[0].x, y = l[0].y, dx = l[1].x - x, dy = l[1].y - y, t0 = 0, t1 = 1;
    var sides = [[-dx, x - b.x0 - 1], [dx, b.x1 - 1 - x], [-dy, y - b.y0 - 1], [dy, b.y1 - 1 - y]];
    for (var i = 0; i < 4; i++) {
      var p = sides[i][0], q = sides[i][1];
      if (p === 0) { if (q < 0) return false; continue; }
      var r = q / p;
      if (p < 0) { if (r > t0) t0 = r; } else if (r < t1) t1 = r;
      if (t0 > t1) return false;
    }
    return true;
  }
  // whether segment l passes through drawn site c (a circle)
  function segMeetsSite(l, c) {
    var x = l[0].x, y = l[0].y, dx = l[1].x - x, dy = l[1].y - y, len = dx * dx + dy * dy;
    var t = len ? Math.max(0, Math.min(1, ((c.x - x) * dx + (c.y - y) * dy) / len)) : 0;
    var ex = x + t * dx - c.x, ey = y + t * dy - c.y;
    return ex * ex + ey * ey < c.r * c.r;
  }
  // What a spot for a label costs besides what covers its box: the placed leader lines that would
  // run under it, and its own leader line's crossings of the placed labels (a line through a name
  // hides letters and reads as tying that name), the place markers and legends (a line into a
  // place marker reads as that place's), and of the drawn sites (the line vanishes under them,
  // a lesser harm; the sites on the anchor itself, where every line starts, do not count)
  function leaderCost(a, box, boxes, leads, lineSites) {
    var n = 0, m = 0, i, tip = leaderTip(a, box);
    for (i = 0; i < leads.length; i++) if (segMeetsBox(leads[i], box)) n++;
    if (!tip) return {labels: n, sites: 0};
    for (i = 0; i < boxes.length; i++) if (segMeetsBox(tip, boxes[i])) n++;
    for (i = 0; i < lineSites.length; i++) if (segMeetsSite(tip, lineSites[i])) m++;
    return {labels: n, sites: m};
  }
  // The spot for label d: [dx, dy] from its anchor.  ``mode`` 'own': the nearest spot in its
  // own town that nothing covers and whose leader line crosses no other label, place marker or
  // legend — and, where there is one, no drawn site — or null where there is none; 'district':
  // the same anywhere in the district; 'least': the spot covered least (a label or a site on it
  // before a leader line through another label, before sites on its line), its own town before
  // the rest of the district.
  function clearSpot(map, d, sites, boxes, leads, zones, mode) {
    var a = d.a, w = d.w, h = d.h, code = d.t.options.wfCode;
    // only the sites a move could reach (thousands may be drawn; a label meets a few)
    var rx = w + LABEL_FAR, ry = h + LABEL_FAR;
    sites = sites.filter(function (c) { return Math.abs(c.x - a.x) < rx + c.r && Math.abs(c.y - a.y) < ry + c.r; });
    var lineSites = sites.filter(function (c) { return (c.x - a.x) * (c.x - a.x) + (c.y - a.y) * (c.y - a.y) >= c.r * c.r; });
    var box0 = labelBox(a, w, h, 0, 0), n0 = covered(box0, sites, boxes), l0 = leaderCost(a, box0, boxes, leads, lineSites).labels;
    if (!n0 && !l0) return [0, 0];
    var tries = labelMoves(w, h), i, mx, my, box, lc, at;
    if (mode !== 'least') {
      var fallback = null;
      for (i = 0; i < tries.length; i++) {
        mx = tries[i][0]; my = tries[i][1]; box = labelBox(a, w, h, mx, my);
        if (covered(box, sites, boxes, 1)) continue;
        lc = leaderCost(a, box, boxes, leads, lineSites);
        if (lc.labels || (lc.sites && fallback)) continue;
        at = map.containerPointToLatLng(L.point(a.x + mx, a.y + my));
        if (mode === 'own' ? !(zones[code] ? inZone(zones[code], at) : spotTier(zones, code, at) === 0)
                           : spotTier(zones, code, at) < 0) continue;
        if (!lc.sites) return [mx, my];
        fallback = [mx, my];  // the nearest whose line runs under a site, unless a clear one comes
      }
      return fallback;
    }
    // a spot's cost: 8 × what covers its box (sites, labels, the legends), 4 × the labels its
    // leader line crosses or whose lines cross it, 2 × whether sites hide its line, + its tier
    var least = 8 * n0 + 4 * l0, best = [0, 0];
    for (i = 0; i < tries.length && least; i++) {
      mx = tries[i][0]; my = tries[i][1]; box = labelBox(a, w, h, mx, my);
      var n = covered(box, sites, boxes, Math.ceil(least / 8));
      if (8 * n >= least) continue;
      lc = leaderCost(a, box, boxes, leads, lineSites);
      var cost = 8 * n + 4 * lc.labels + (lc.sites ? 2 : 0);
      if (cost >= least) continue;
      var tier = spotTier(zones, code, map.containerPointToLatLng(L.point(a.x + mx, a.y + my)));
      if (tier < 0 || cost + tier >= least) continue;
      least = cost + tier; best = [mx, my];
    }
    return best;
  }

  // the moves tried for a w × h label, nearest first: small shifts in eight directions (a label
  // touching another) and moves that take the label off its anchor (sites drawn on it), and every
  // point of a LABEL_GRID px grid within LABEL_FAR (where the towns are crowded — the English
  // names, two lines when shaded — the eight directions alone miss the gaps between them)
  var LABEL_GRID = 8, gridMoves = null, movesOf = {};
  function labelMoves(w, h) {
    var key = w + 'x' + h, out = movesOf[key];
    if (out) return out;  // a label keeps its size: its moves are sorted once
    out = [];
    for (var step = LABEL_STEP; step <= LABEL_FAR; step += step < LABEL_REACH ? LABEL_STEP : 2 * LABEL_STEP) {
      LABEL_DIRS.forEach(function (d) {
        out.push([d[0] * step, d[1] * step]);
        out.push([d[0] * (w / 2 + step), d[1] * (h / 2 + step)]);
      });
    }
    if (!gridMoves) {
      gridMoves = [];
      for (var gx = -LABEL_FAR; gx <= LABEL_FAR; gx += LABEL_GRID)
        for (var gy = -LABEL_FAR; gy <= LABEL_FAR; gy += LABEL_GRID)
          if ((gx || gy) && gx * gx + gy * gy <= LABEL_FAR * LABEL_FAR) gridMoves.push([gx, gy]);
    }
    return (movesOf[key] = out.concat(gridMoves).sort(function (p, q) { return p[0] * p[0] + p[1] * p[1] - q[0] * q[0] - q[1] * q[1]; }));
  }

  // The opening view: the largest zoom (in steps of the map's zoom snap) at which the district's
  // bounds b fit the map and the legend covers no town — centred, or moved towards the
  // bottom-right as far as the legend needs.  Once per map: a later drawing (another language or
  // shading) keeps the user's view; a view from the address or a linked site comes after it.
  // Only the opening view, still untouched, is fitted again after a language switch, to the
  // legend in the other language (the English legend is wider and taller than the Chinese: over
  // the district's north-west it pushed the town labels there into their neighbours) — as the
  // map opens in that language.
  function fitDistrict(R, map, b) {
    var size = map.getSize(), pad = 10, step = map.options.zoomSnap || 0.25, box = null;
    var legend = document.querySelector('.wf-legend'), was = map.__wfFitted;
    if (legend) {
      var c = map.getContainer().getBoundingClientRect(), r = legend.getBoundingClientRect();
      box = {x0: r.left - c.left - 4, y0: r.top - c.top - 4, x1: r.right - c.left + 4, y1: r.bottom - c.top + 4};
    }
    var title = legend && legend.querySelector('summary'), lang = title ? title.textContent : '';
    if (was && !(was.centre && was.lang !== lang && map.getZoom() === was.zoom
                 && map.latLngToContainerPoint(was.centre).distanceTo(size.divideBy(2)) < 1)) return;
    map.__wfFitted = {b: b};
    if (!size.x || !size.y) return;
    var rings = [];  // every zone ring as normalised Web Mercator coordinates
    Object.keys(R.zones || {}).forEach(function (code) {
      (function walk(a) {
        if (!a.length) return;
        if (a[0].lat === undefined) { a.forEach(walk); return; }
        rings.push(a.map(function (p) { return [mercX(p.lng), mercY(p.lat)]; }));
      })(R.zones[code].getLatLngs());
    });
    var x0 = mercX(b[0][1]), y0 = mercY(b[1][0]), x1 = mercX(b[1][1]), y1 = mercY(b[0][0]);
    function hits(S, ox, oy) {  // does the legend box meet a zone with the bounds' corner at (ox, oy)?
      if (!box) return false;
      for (var k = 0; k < rings.length; k++) {
        var ring = rings[k], pts = ring.map(function (p) { return [(p[0] - x0) * S + ox, (p[1] - y0) * S + oy]; });
        for (var i = 0; i < pts.length; i++)
          if (pts[i][0] >= box.x0 && pts[i][0] <= box.x1 && pts[i][1] >= box.y0 && pts[i][1] <= box.y1) return true;
        for (var t = 0; t <= 1.0001; t += 0.1) {
          var probe = [[box.x0 + t * (box.x1 - box.x0), box.y1], [box.x1, box.y0 + t * (box.y1 - box.y0)]];
          for (var q = 0; q < probe.length; q++) if (inPx(pts, probe[q])) return true;
        }
      }
      return false;
    }
    for (var z = Math.floor(map.getMaxZoom() / step) * step; z >= map.getMinZoom(); z -= step) {
      var S = 256 * Math.pow(2, z), bw = (x1 - x0) * S, bh = (y1 - y0) * S;
      if (bw > size.x - 2 * pad || bh > size.y - 2 * pad) continue;
      var cx = (size.x - bw) / 2, cy = (size.y - bh) / 2, mx = size.x - pad - bw, my = size.y - pad - bh;
      for (var t = 0; t <= 1.0001; t += 0.125) {
        var ox = cx + (mx - cx) * t, oy = cy + (my - cy) * t;
        if (hits(S, ox, oy)) continue;
        var centre = L.latLng(unmercLat(y0 + (size.y / 2 - oy) / S), (x0 + (size.x / 2 - ox) / S - 0.5) * 360);
        map.setView(centre, z, {animate: false});
        R.fitZoom = z;
        map.__wfFitted = {b: b, zoom: z, centre: map.getCenter(), lang: lang};
        return;
      }
    }
  }
  function inPx(pts, p) {
    var inside = false;
    for (var i = 0, j = pts.length - 1; i < pts.length; j = i++) {
      var a = pts[i], b = pts[j];
      if ((a[1] > p[1]) !== (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]) inside = !inside;
    }
    return inside;
  }

  // the legend starts folded on a map narrower than minPx
  function foldLegend(legendId, mapId, minPx) {
    var d = document.querySelector('#' + legendId + ' details');
    if (d && document.getElementById(mapId).clientWidth < minPx) d.open = false;
  }

  global.WufeiMap = {
    renderer: renderer, zoneOptions: zoneOptions, districtOptions: districtOptions, linkOptions: linkOptions,
    zoneLabels: zoneLabels, foldLegend: foldLegend, fitDistrict: fitDistrict, esc: esc,
    // the page's message (filter, selection, emphasis) to the map drawn last: see R.apply
    apply: function (map, msg) { if (global.WufeiMap.current) global.WufeiMap.current.apply(map, msg); }
  };
})(window);
