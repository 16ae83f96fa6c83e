/*
 * Booking widget for [redis_persona_booking]: shows a day's free times, holds
 * one with POST /slots/lock, verifies the visitor's email with the one-time
 * code routes, and keeps the grid current through the WordPress heartbeat.
 */
(function () {
  'use strict';
  var config = window.redisPersonaBooking;
  if (!config) {
    return;
  }
  var i18n = config.i18n;

  function call(method, path, body) {
    var options = { method: method, headers: { 'Content-Type': 'application/json' } };
    if (body) {
      options.body = JSON.stringify(body);
    }
    return fetch(config.root + path, options).then(function (response) {
      return response.json().then(function (data) {
        return { status: response.status, data: data, retry: response.headers.get('Retry-After') };
      });
    });
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) {
      node.textContent = text;
    }
    return node;
  }
  function format(text, value) {
    return text.replace('%s', value);
  }

  function widget(root) {
    var resource = root.getAttribute('data-resource');
    var times = root.getAttribute('data-times').split(',').filter(Boolean);
    // The bookable window, in the site's timezone (Policy on the server).
    var today = config.today || new Date().toISOString().slice(0, 10);
    var held = null;
    var date = el('input', { type: 'date', value: today, min: today, max: config.lastDay || '', 'aria-label': 'Date' });
    var grid = el('div', { class: 'rp-times' });
    var status = el('p', { role: 'status' });
    var verify = el('form', { hidden: '' });
    var email = el('input', { type: 'email', required: '', placeholder: 'you@example.com', 'aria-label': 'Email' });
    var send = el('button', { type: 'submit' }, 'Send code');
    var code = el('input', { inputmode: 'numeric', pattern: '[0-9]{6}', placeholder: '123456', hidden: '', 'aria-label': 'Code' });
    verify.append(email, send, code);
    root.append(date, grid, status, verify);

    function render(unavailable) {
      grid.textContent = '';
      times.forEach(function (time) {
        var button = el('button', { type: 'button', 'data-time': time }, time);
        if (unavailable.indexOf(time) !== -1 && !(held && held.time === time)) {
          button.disabled = true;
        }
        if (held && held.time === time) {
          button.className = 'rp-selected';
        }
        button.addEventListener('click', function () { hold(time); });
        grid.append(button);
      });
    }
    function refresh() {
      call('GET', 'availability?date=' + date.value + '&resource=' + encodeURIComponent(resource)).then(function (r) {
        render(r.status === 200 ? r.data.unavailable : []);
      });
    }
    function hold(time) {
      var release = held ? call('DELETE', 'slots/lock', { date: held.date, time: held.time, resource: resource, token: held.token }) : Promise.resolve();
      release.then(function () {
        return call('POST', 'slots/lock', { date: date.value, time: time, resource: resource });
      }).then(function (r) {
        if (r.status === 201) {
          held = { date: date.value, time: time, token: r.data.token, fence: r.data.fence };
          status.textContent = format(i18n.held, new Date(r.data.expires_at * 1000).toLocaleTimeString());
          verify.hidden = false;
        } else if (r.status === 429) {
          status.textContent = r.data && r.data.code === 'rp_too_many_holds' ? i18n.holds : format(i18n.wait, r.retry || '60');
        } else {
          held = null;
          status.textContent = r.status === 409 ? i18n.taken : i18n.error;
        }
        refresh();
      });
    }
    verify.addEventListener('submit', function (event) {
      event.preventDefault();
      if (code.hidden) {
        call('POST', 'otp/request', { identity: email.value }).then(function (r) {
          status.textContent = r.status === 202 ? i18n.sent : (r.status === 429 ? format(i18n.wait, r.retry || '60') : i18n.error);
          if (r.status === 202) {
            code.hidden = false;
            send.textContent = 'Verify';
          }
        });
        return;
      }
      call('POST', 'otp/verify', { identity: email.value, code: code.value }).then(function (r) {
        if (r.status === 200 && held) {
          status.textContent = format(i18n.verified, held.date + '/' + resource + '/' + held.time + '#' + held.fence);
          verify.hidden = true;
        } else {
          status.textContent = r.status === 429 ? format(i18n.wait, r.retry || '60') : i18n.wrong;
        }
      });
    });
    date.addEventListener('change', refresh);

    if (window.jQuery && window.wp && wp.heartbeat) {
      wp.heartbeat.interval(15);
      jQuery(document).on('heartbeat-send', function (event, data) {
        data.redis_persona_watch = { date: date.value, resource: resource };
      }).on('heartbeat-tick', function (event, data) {
        var locked = data.redis_persona_locked;
        // No times: the lookup was rate-limited; wait for the next beat.
        if (locked && locked.times && locked.date === date.value && locked.resource === resource) {
          refresh();
        }
      });
    }
    refresh();
  }

  document.querySelectorAll('.rp-booking').forEach(widget);
})();
