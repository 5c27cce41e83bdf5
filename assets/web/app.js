// earshot web UI: keyboard triage and live arrival for the inbox. The pages work without it;
// this only adds keys, the "N new" banner and small conveniences. No eval, no inline code.
(function () {
  'use strict';

  var body = document.body;
  var rowsEl = document.getElementById('rows');
  var currentId = null;

  function rows() {
    return rowsEl ? Array.prototype.slice.call(rowsEl.querySelectorAll(':scope > li.row')) : [];
  }

  function rowById(id) {
    return id ? document.getElementById('m-' + id) : null;
  }

  function setCurrent(row, focus) {
    var old = rowById(currentId);
    if (old) old.classList.remove('current');
    if (!row) {
      currentId = null;
      return;
    }
    currentId = row.getAttribute('data-id');
    row.classList.add('current');
    if (focus) {
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: 'nearest' });
    }
  }

  function current() {
    var row = rowById(currentId);
    if (row && rowsEl && rowsEl.contains(row)) return row;
    var all = rows();
    return all.length ? all[0] : null;
  }

  function move(delta) {
    var all = rows();
    if (!all.length) return;
    var row = rowById(currentId);
    var i = row ? all.indexOf(row) : -1;
    var next = i < 0 ? 0 : Math.min(all.length - 1, Math.max(0, i + delta));
    setCurrent(all[next], true);
  }

  function submitRow(row, action, prepare) {
    if (!row) return false;
    var form = row.querySelector('form.actions');
    var button = form && form.querySelector('button[name="action"][value="' + action + '"]');
    if (!button) return false;
    if (prepare) prepare(form);
    var more = button.closest('details');
    if (more) more.open = true;
    // A click, not requestSubmit(button): htmx learns the pressed button (name=action) from the click.
    button.click();
    return true;
  }

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable) return true;
    var tag = target.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
    if (tag !== 'INPUT') return false;
    var type = (target.getAttribute('type') || 'text').toLowerCase();
    return ['checkbox', 'radio', 'button', 'submit', 'reset'].indexOf(type) < 0;
  }

  function openHelp() {
    var dialog = document.getElementById('help');
    if (dialog && !dialog.open) dialog.showModal();
  }

  function setSentiment(label) {
    return submitRow(current(), 'sentiment', function (form) {
      var select = form.querySelector('select[name="sentiment"]');
      if (select) select.value = label;
    });
  }

  var keys = {
    j: function () { move(1); },
    k: function () { move(-1); },
    o: function () { var row = current(); var link = row && row.querySelector('a.text'); if (link) link.click(); },
    Enter: function (e) { if (e.target === document.body || (e.target.classList && e.target.classList.contains('row'))) keys.o(); else return false; },
    e: function () { var row = current(); setCurrent(row); if (submitRow(row, 'handle')) move(1); },
    '#': function () { var row = current(); setCurrent(row); if (submitRow(row, 'irrelevant')) move(1); },
    x: function () { var row = current(); setCurrent(row); var box = row && row.querySelector('input[type=checkbox]'); if (box) { box.checked = !box.checked; updateCount(); } },
    '1': function () { setSentiment('negative'); },
    '2': function () { setSentiment('neutral'); },
    '3': function () { setSentiment('positive'); },
    a: function () { submitRow(current(), 'assign'); },
    s: function () {
      var row = current();
      setCurrent(row);
      var select = row && row.querySelector('select[name="snooze"]');
      if (!select) return;
      var more = select.closest('details');
      if (more) more.open = true;
      select.focus();
    },
    u: function () { var form = document.getElementById('undo'); if (form) form.requestSubmit(); },
    '/': function () { var q = document.getElementById('q'); if (q) { q.focus(); q.select(); } },
    '?': openHelp,
    '.': function () { showNew(); },
  };

  document.addEventListener('keydown', function (e) {
    if (body.getAttribute('data-keys') !== 'on' || !rowsEl) return;
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (isTyping(e.target)) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    var dialog = document.getElementById('help');
    if (dialog && dialog.open) return;
    var handler = keys[e.key];
    if (!handler) return;
    if (handler(e) === false) return;
    e.preventDefault();
  });

  // Bulk selection: a count, and "select all" (only useful with this script, so shown by it).
  function updateCount() {
    var el = document.getElementById('selected-count');
    if (!el) return;
    var n = document.querySelectorAll('input[form="bulk"][name="ids"]:checked').length;
    el.textContent = n ? n + ' selected' : '';
  }
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (t && t.id === 'select-all') {
      document.querySelectorAll('input[form="bulk"][name="ids"]').forEach(function (box) { box.checked = t.checked; });
    }
    if (t && (t.id === 'select-all' || t.getAttribute('form') === 'bulk')) updateCount();
  });
  var selectAll = document.querySelector('.select-all');
  if (selectAll && rowsEl && rows().length) selectAll.hidden = false;
  var helpButton = document.querySelector('[data-help]');
  if (helpButton) {
    helpButton.hidden = body.getAttribute('data-keys') !== 'on';
    helpButton.addEventListener('click', openHelp);
  }

  // A click on a row makes it the current one (so keys act on what was last touched).
  if (rowsEl) {
    rowsEl.addEventListener('click', function (e) {
      var row = e.target.closest && e.target.closest('li.row');
      if (row) setCurrent(row, false);
    });
  }

  // After htmx replaced rows (an action, bulk, undo), keep the current row marked and focused.
  body.addEventListener('htmx:afterSettle', function () {
    var row = rowById(currentId);
    if (row) {
      row.classList.add('current');
      if (document.activeElement === body || document.activeElement === null) row.focus({ preventScroll: true });
    }
    updateCount();
  });

  // ---- live arrival: server-sent events, falling back to polling; a banner, never a jump.
  var latest = rowsEl ? Number(rowsEl.getAttribute('data-latest')) || 0 : 0;
  var filter = rowsEl ? rowsEl.getAttribute('data-filter') || '' : '';
  var banner = document.getElementById('banner');
  var pollTimer = null;

  function query(extra) {
    return '?' + [filter, extra].filter(Boolean).join('&');
  }

  function refreshCount() {
    return fetch('/inbox/new' + query('after=' + latest), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (!j || !banner) return;
        banner.hidden = j.count === 0;
        banner.textContent = j.count + ' new — press .';
      })
      .catch(function () {});
  }

  function showNew() {
    if (!rowsEl || !rowsEl.getAttribute('data-live')) return;
    var returnTo = encodeURIComponent(location.pathname + location.search);
    fetch('/inbox/rows' + query('after=' + latest + '&return=' + returnTo), { credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) return null;
        var next = Number(r.headers.get('x-earshot-latest'));
        return r.text().then(function (html) { return { html: html, latest: next }; });
      })
      .then(function (res) {
        if (!res) return;
        // Keep whatever row is on screen exactly where it is: measure, insert above, scroll by the difference.
        var anchor = current() || rowsEl;
        var before = anchor.getBoundingClientRect().top;
        var template = document.createElement('template');
        template.innerHTML = res.html;
        var added = Array.prototype.slice.call(template.content.children);
        added.forEach(function (row) {
          var old = document.getElementById(row.id);
          if (old) old.remove();
        });
        rowsEl.insertBefore(template.content, rowsEl.firstChild);
        if (window.htmx) added.forEach(function (row) { window.htmx.process(row); });
        var after = anchor.getBoundingClientRect().top;
        if (after !== before) window.scrollBy(0, after - before);
        if (res.latest) latest = res.latest;
        if (banner) banner.hidden = true;
        if (!currentId && added.length) setCurrent(rows()[0], false);
      })
      .catch(function () {});
  }

  function refreshRow(id) {
    var row = rowById(id);
    if (!row || row.querySelector('.htmx-request') || row.contains(document.activeElement) && isTyping(document.activeElement)) return;
    var returnTo = encodeURIComponent(location.pathname + location.search);
    fetch('/mentions/' + encodeURIComponent(id) + '/row?return=' + returnTo, { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html || !document.getElementById('m-' + id)) return;
        var template = document.createElement('template');
        template.innerHTML = html;
        var fresh = template.content.firstElementChild;
        var old = document.getElementById('m-' + id);
        if (!fresh || !old) return;
        var wasCurrent = String(id) === String(currentId);
        old.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
        if (wasCurrent) fresh.classList.add('current');
      })
      .catch(function () {});
  }

  function startPolling() {
    if (pollTimer) return;
    body.setAttribute('data-live', 'polling');
    refreshCount();
    pollTimer = setInterval(refreshCount, 15000);
  }

  function connect() {
    if (!window.EventSource) return startPolling();
    var failures = 0;
    var source = new EventSource('/events');
    source.addEventListener('hello', function () {
      failures = 0;
      body.setAttribute('data-live', 'stream');
      refreshCount();
    });
    source.addEventListener('mentions', function () { refreshCount(); });
    source.addEventListener('change', function (e) {
      try { refreshRow(JSON.parse(e.data).id); } catch (err) { /* ignore a malformed event */ }
    });
    source.onerror = function () {
      failures += 1;
      // Refused outright (a proxy's 502, a wrong content type: the browser gives up at once), or
      // cut again and again (a proxy that buffers or times streams out): poll instead.
      if (source.readyState === EventSource.CLOSED || failures >= 3) {
        source.close();
        startPolling();
      }
    };
  }

  if (banner) banner.addEventListener('click', showNew);
  if (rowsEl && rowsEl.getAttribute('data-live')) connect();
})();
