/* wufei-geo: the runtime of app_pages/folium_adapter.py in streamlit-folium's map iframe.
 *
 * Run by the first render (prefixed to the map's script) and by every later map (the component's
 * ``feature_group`` argument): ``__wfShow(token, html, draw)`` draws a map into the one Leaflet
 * map of the iframe.  While ``draw`` runs, ``L.map`` answers the existing map, and every layer
 * added to the map, control added, and map event handler registered is recorded; the next map
 * removes them first.  The legend and other HTML of the map live in ``#wf_html`` and are replaced
 * with it.  ``__wfFollowView()`` writes the map's view into the page's address after every move,
 * without telling Streamlit (no rerun): a copied link then opens the same view.
 */
if (!window.__wfShow) {
  window.__wfShow = function (token, html, draw) {
    if (window.__wfToken === token) return;
    // the map's own renderers: its default one and one per pane (Leaflet's getRenderer)
    var shared = function (M, l) {
      if (!(l instanceof L.Renderer)) return false;
      if (l === M._renderer || l === M.options.renderer) return true;
      for (var pane in M._paneRenderers) if (M._paneRenderers[pane] === l) return true;
      return false;
    };
    var M = window.map, added = window.__wfAdded || {layers: [], controls: [], events: []};
    if (M) {
      added.controls.forEach(function (c) { try { c.remove(); } catch (e) {} });
      added.layers.forEach(function (l) { if (!shared(M, l)) try { M.removeLayer(l); } catch (e) {} });
      added.events.forEach(function (a) { try { M.off.apply(M, a); } catch (e) {} });
    }
    var box = document.getElementById('wf_html');
    if (box && html !== null) box.innerHTML = html;
    var now = {layers: [], controls: [], events: []}, own = false;
    var P = L.Map.prototype, C = L.Control.prototype;
    var orig = {map: L.map, add: P.addLayer, on: P.on, ctl: C.addTo};
    // What the map does for itself is not the drawing's and is never undone: what its constructor
    // adds (zoom control, zoom animation, the handlers' events) at the first render, and its
    // renderers (one per pane, created on first use, shared by every later drawing: ``shared``)
    // with their view events — a renderer that lost them stays drawn at the old zoom.  A renderer
    // the drawing made for itself (the sites' canvas) goes with the drawing, its events with it.
    L.map = M ? function () { return M; } : function () {
      own = true;
      try { return orig.map.apply(this, arguments); } finally { own = false; }
    };
    P.addLayer = function (l) { if (!own) now.layers.push(l); return orig.add.apply(this, arguments); };
    P.on = function (types, fn, context) {
      var ctx = typeof types === 'object' ? fn : context;
      if (!own && !(ctx instanceof L.Renderer)) now.events.push(Array.prototype.slice.call(arguments));
      return orig.on.apply(this, arguments);
    };
    C.addTo = function () { if (!own) now.controls.push(this); return orig.ctl.apply(this, arguments); };
    try { draw(); } finally {
      L.map = orig.map; P.addLayer = orig.add; P.on = orig.on; C.addTo = orig.ctl;
    }
    window.__wfAdded = now;
    window.__wfToken = token;
  };

  // The page's filters reach the map before the rerun: a click on a sidebar option (or on a
  // chip's remove button) is answered at once, before Streamlit draws the chip, and the chips are
  // read again whenever they change.  ``spec``: {options: {widget key: {chip label: base64 bit set
  // of the sites that option lets through}}, search: bit set of the sites the search text lets
  // through, or null} — every set computed by the page from the core's filter rule
  // (wufei_geo.filters); here they are only combined: OR within a widget, AND across widgets.
  // The page's message after the rerun applies the same set (no redraw).
  window.__wfWatchFilters = function (spec) {
    window.__wfFilterSpec = spec;
    var top = window.parent, doc;
    try { doc = top.document; } catch (e) { return; }
    if (window.__wfFilterObs || top === window) return;
    var sidebar = doc.querySelector('[data-testid="stSidebar"]');
    if (!sidebar) return;
    var bits = function (b64) { var s = atob(b64), out = new Uint8Array(s.length);
      for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i); return out; };
    // the labels of a multiselect's chips (null: the widget is not on the page)
    var chips = function (key) {
      var box = doc.querySelector('.st-key-' + key);
      if (!box) return null;
      var tags = box.querySelectorAll('[data-testid="stMultiSelectTagsContainer"] [data-tag] [title]');
      return Array.prototype.map.call(tags, function (c) { return c.getAttribute('title'); });
    };
    // change: a click not drawn as a chip yet, {key, add: label} or {key, remove: label}
    var run = function (change) {
      var sp = window.__wfFilterSpec, R = window.WufeiMap && window.WufeiMap.current;
      if (!sp || !R || !R.layers) return;
      var n = R.siteCount(), nb = (n + 7) >> 3, acc = new Uint8Array(nb).fill(255), k;
      if (sp.search) { var s = bits(sp.search); for (k = 0; k < nb; k++) acc[k] &= s[k] || 0; }
      for (var key in sp.options) {
        var labels = chips(key);
        if (labels === null) continue;
        if (change && change.key === key) {
          if (change.add !== undefined && labels.indexOf(change.add) < 0) labels.push(change.add);
          if (change.remove !== undefined) labels = labels.filter(function (l) { return l !== change.remove; });
        }
        if (!labels.length) continue;
        var any = new Uint8Array(nb);
        for (var c = 0; c < labels.length; c++) {
          var m = sp.options[key][labels[c]];
          if (m === undefined) return;  // a chip the spec does not know: the page's message decides
          var b = bits(m);
          for (k = 0; k < nb; k++) any[k] |= b[k] || 0;
        }
        for (k = 0; k < nb; k++) acc[k] &= any[k];
      }
      if (n & 7) acc[nb - 1] &= (1 << (n & 7)) - 1;
      var str = '';
      for (k = 0; k < nb; k++) str += String.fromCharCode(acc[k]);
      if (R.applyMask(btoa(str), true)) {
        window.__wfPreviews = (window.__wfPreviews || 0) + 1;
        window.__wfPreviewBefore = R.applied || 0;  // how many of the page's messages had arrived
      }
    };
    var keyOf = function (el) {
      var box = el && el.closest('[class*="st-key-"]'), m = box && /(?:^|\s)st-key-(\S+)/.exec(box.className);
      return m ? m[1] : null;
    };
    // which option or chip a click hit, as a change (null: neither)
    var clicked = function (t) {
      if (!t || !t.closest) return null;
      var opt = t.closest('[data-testid="stMultiSelectDropdown"] [role="option"]');
      if (opt) {
        var list = opt.closest('[role="listbox"]'), field = null;
        if (list && list.id) field = doc.querySelector('[aria-controls="' + list.id.replace(/"/g, '\\"') + '"]');
        return {key: keyOf(field || doc.activeElement), add: opt.textContent};
      }
      var remove = t.closest('[data-testid="stMultiSelectTagsContainer"] [data-tag] button');
      var title = remove && remove.closest('[data-tag]').querySelector('[title]');
      return title ? {key: keyOf(remove), remove: title.getAttribute('title')} : null;
    };
    var onClick = function (e) {
      var change = clicked(e.target), sp = window.__wfFilterSpec;
      if (!change || !sp || !sp.options[change.key]) return;
      run(change);
      // the chips decide in the end: a click Streamlit did not take leaves the map as they say
      setTimeout(function () { run(); }, 1000);
    };
    // capture on the page's document: before Streamlit's own handlers draw the chip and rerun
    doc.addEventListener('click', onClick, true);
    var obs = new top.MutationObserver(function () { run(); });
    obs.observe(sidebar, {subtree: true, childList: true, attributes: true, attributeFilter: ['title']});
    window.__wfFilterObs = obs;
    window.addEventListener('pagehide', function () { obs.disconnect(); doc.removeEventListener('click', onClick, true); });
  };

  window.__wfFollowView = function () {
    var M = window.map;
    if (!M || M.__wfFollows) return;
    M.__wfFollows = true;
    M.on('moveend', function () {
      try {
        var c = M.getCenter(), top = window.parent, q = new URLSearchParams(top.location.search);
        q.set('view', c.lat.toFixed(5) + ',' + c.lng.toFixed(5) + ',' + M.getZoom());
        top.history.replaceState(top.history.state, '', top.location.pathname + '?' + q.toString());
        window.__wfViewWrites = (window.__wfViewWrites || 0) + 1;
      } catch (e) { /* a page of another origin: the view stays in the map */ }
    });
  };
}
