/* Redis Persona status tab: "Warm all" with a progress bar, and "Flush". */
(function () {
  'use strict';
  var config = window.redisPersonaAdmin || { i18n: {} };
  var i18n = config.i18n;
  var message = document.getElementById('rp-message');
  var bar = document.getElementById('rp-warm-progress');
  var warm = document.getElementById('rp-warm');
  var flush = document.getElementById('rp-flush');
  var warmPages = document.getElementById('rp-warm-pages');
  var pages = false;
  if (!warm || !flush || !window.wp || !wp.apiFetch) {
    return;
  }
  function format(text) {
    var args = Array.prototype.slice.call(arguments, 1);
    var i = 0;
    return text.replace(/%(\d\$)?[sd]/g, function (match, position) {
      return String(position ? args[parseInt(position, 10) - 1] : args[i++]);
    });
  }
  function fail(error) {
    message.textContent = format(i18n.error, (error && error.message) || 'error');
    warm.disabled = false;
    if (warmPages) {
      warmPages.disabled = false;
    }
  }
  function show(progress) {
    bar.hidden = false;
    bar.max = Math.max(1, progress.total);
    bar.value = progress.done + progress.failed;
    message.textContent = format(pages ? i18n.pageProgress : i18n.progress, progress.done, progress.total);
    if (!progress.running) {
      message.textContent = i18n.done + ' ' + message.textContent;
      warm.disabled = false;
      if (warmPages) {
        warmPages.disabled = false;
      }
      return;
    }
    window.setTimeout(poll, 1000);
  }
  function poll() {
    wp.apiFetch({ path: '/redis-persona/v1/cache/warm' + (pages ? '?pages=1' : '') }).then(show, fail);
  }
  function start(wholePages) {
    pages = wholePages;
    warm.disabled = true;
    if (warmPages) {
      warmPages.disabled = true;
    }
    wp.apiFetch({ path: '/redis-persona/v1/cache/warm', method: 'POST', data: { pages: wholePages } }).then(show, fail);
  }
  warm.addEventListener('click', function () {
    start(false);
  });
  if (warmPages) {
    warmPages.addEventListener('click', function () {
      start(true);
    });
  }
  flush.addEventListener('click', function () {
    if (!window.confirm(i18n.confirmFlush)) {
      return;
    }
    wp.apiFetch({ path: '/redis-persona/v1/cache/flush', method: 'POST' }).then(function () {
      message.textContent = i18n.flushed;
    }, fail);
  });
})();
