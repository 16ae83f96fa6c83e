/*
 * Booking widget for [redis_persona_booking]: pick a day, then a free time
 * (POST /slots/lock holds it, with a countdown), verify the email with the
 * one-time code routes, and confirm (POST /bookings): the visitor sees the
 * booking's reference, and every open page sees the slot booked.
 *
 * The day stays current live: through the slot event stream when the site
 * has one (config.events, Server-Sent Events), else through the WordPress
 * heartbeat (the only use of jQuery here). Every string comes translated
 * from the server (config.i18n); messages go to a polite live region.
 *
 * Rebuilding the time buttons keeps keyboard focus on the same time. An
 * availability answer other than 200 (rate-limited, an outage) keeps the
 * day as last known instead of showing every slot free. An event makes
 * the page refetch after a random 0-300 ms, so the pages watching a day do
 * not all ask in the same instant.
 */
(function () {
  'use strict';
  var config = window.redisPersonaBooking;
  if (!config) {
    return;
  }
  var i18n = config.i18n;
  var counter = 0;

  function call(method, path, body) {
    var options = { method: method, headers: { 'Content-Type': 'application/json' } };
    if (body) {
      options.body = JSON.stringify(body);
    }
    return fetch(config.root + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data || {}, retry: response.headers.get('Retry-After') };
      });
    }, function () {
      return { status: 0, data: {}, retry: null };
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
  // Now in the site's timezone: {date: YYYY-MM-DD, time: HH:MM}.
  function siteNow() {
    var iso = new Date(Date.now() + (config.utcOffset || 0) * 1000).toISOString();
    return { date: iso.slice(0, 10), time: iso.slice(11, 16) };
  }
  function field(id, label, input) {
    var wrap = el('p', { class: 'rp-field' });
    input.id = id;
    wrap.append(el('label', { for: id }, label), input);
    return wrap;
  }

  function widget(root) {
    var id = 'rp-booking-' + (++counter);
    var resource = root.getAttribute('data-resource');
    var times = root.getAttribute('data-times').split(',').filter(Boolean);
    // The bookable window, in the site's timezone (Policy on the server).
    var today = config.utcOffset !== undefined ? siteNow().date : (config.today || new Date().toISOString().slice(0, 10));
    var held = null;
    var verified = null;
    var ticker = null;
    var day = { date: '', locked: [], booked: [] };
    var pending = null;

    var date = el('input', { type: 'date', value: today, min: today, max: config.lastDay || '' });
    var grid = el('div', { class: 'rp-times', role: 'group', 'aria-label': i18n.times });
    var countdown = el('p', { class: 'rp-countdown', hidden: '' });
    var status = el('p', { class: 'rp-status', role: 'status', 'aria-live': 'polite' });
    var form = el('form', { class: 'rp-verify', hidden: '', novalidate: '' });
    var email = el('input', { type: 'email', required: '', autocomplete: 'email', placeholder: 'you@example.com' });
    var code = el('input', { inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{4,10}', maxlength: '10' });
    var codeField = field(id + '-code', i18n.codeLabel, code);
    var submit = el('button', { type: 'submit', class: 'rp-submit' }, i18n.sendCode);
    var done = el('p', { class: 'rp-reference', hidden: '', tabindex: '-1' });
    codeField.hidden = true;
    form.append(field(id + '-email', i18n.emailLabel, email), codeField, submit);
    root.textContent = '';
    root.append(field(id + '-date', i18n.dateLabel, date), grid, countdown, status, form, done);

    function say(text) {
      status.textContent = text;
    }
    function render() {
      var active = document.activeElement;
      var focused = active && grid.contains(active) ? active.getAttribute('data-time') : null;
      grid.textContent = '';
      var now = siteNow();
      times.forEach(function (time) {
        var past = date.value < now.date || (date.value === now.date && time <= now.time);
        var mine = held && held.date === date.value && held.time === time;
        var booked = day.booked.indexOf(time) !== -1;
        var locked = day.locked.indexOf(time) !== -1 && !mine;
        var label = time;
        if (booked) {
          label = format(i18n.bookedSlot, time);
        } else if (locked) {
          label = format(i18n.heldSlot, time);
        }
        var button = el('button', { type: 'button', 'data-time': time, 'aria-pressed': mine ? 'true' : 'false' }, label);
        if (booked) {
          button.className = 'rp-booked';
        } else if (locked) {
          button.className = 'rp-held';
        } else if (mine) {
          button.className = 'rp-selected';
        } else {
          button.className = past ? 'rp-past' : 'rp-free';
        }
        button.disabled = past || booked || locked || (verified !== null && verified.booked);
        button.addEventListener('click', function () { hold(time); });
        grid.append(button);
      });
      if (focused) {
        restoreFocus(focused);
      }
    }
    // The same time when it can still take focus, else the next one that can, else the day.
    function restoreFocus(time) {
      var buttons = Array.prototype.slice.call(grid.querySelectorAll('button'));
      var at = times.indexOf(time);
      var target = buttons.filter(function (button) {
        return !button.disabled && times.indexOf(button.getAttribute('data-time')) >= at;
      })[0] || buttons.filter(function (button) { return !button.disabled; }).pop();
      (target || date).focus();
    }
    function refresh() {
      var shown = date.value;
      return call('GET', 'availability?date=' + encodeURIComponent(shown) + '&resource=' + encodeURIComponent(resource)).then(function (r) {
        if (shown !== date.value) {
          return;
        }
        if (r.status === 200) {
          day = { date: shown, locked: r.data.locked || [], booked: r.data.booked || [] };
        } else if (day.date !== shown) {
          // Nothing known about this day: say so rather than show it all free.
          day = { date: shown, locked: [], booked: [] };
          say(r.status === 429 ? format(i18n.wait, r.retry || '60') : i18n.error);
        }
        if (held && held.date === shown && day.booked.indexOf(held.time) !== -1 && !(verified && verified.booked)) {
          lost(i18n.taken);
        }
        render();
      });
    }
    function stopTicker() {
      if (ticker) {
        clearInterval(ticker);
        ticker = null;
      }
      countdown.hidden = true;
    }
    function lost(message) {
      held = null;
      stopTicker();
      form.hidden = true;
      say(message);
    }
    function tick() {
      var left = Math.round(held.expires - Date.now() / 1000);
      if (left <= 0) {
        lost(i18n.expired);
        refresh();
        return;
      }
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      countdown.textContent = format(i18n.countdown, minutes + ':' + (seconds < 10 ? '0' : '') + seconds);
    }
    function hold(time) {
      var previous = held;
      held = null;
      var release = previous ? call('DELETE', 'slots/lock', { date: previous.date, time: previous.time, resource: resource, token: previous.token }) : Promise.resolve();
      stopTicker();
      release.then(function () {
        return call('POST', 'slots/lock', { date: date.value, time: time, resource: resource });
      }).then(function (r) {
        if (r.status === 201) {
          held = { date: date.value, time: time, token: r.data.token, fence: r.data.fence, expires: r.data.expires_at };
          say(format(i18n.held, time));
          countdown.hidden = false;
          tick();
          ticker = setInterval(tick, 1000);
          form.hidden = false;
          (verified ? submit : email).focus();
        } else if (r.status === 429) {
          say(r.data.code === 'rp_too_many_holds' ? i18n.holds : format(i18n.wait, r.retry || '60'));
        } else if (r.status === 409) {
          say(i18n.taken);
        } else if (r.status === 400) {
          say(r.data.message || i18n.error);
        } else {
          say(i18n.error);
        }
        refresh();
      });
    }
    function book() {
      if (!held) {
        say(i18n.expired);
        return;
      }
      var slot = held;
      submit.disabled = true;
      call('POST', 'bookings', {
        date: slot.date, time: slot.time, resource: resource, token: slot.token,
        identity: verified.identity, identity_token: verified.token
      }).then(function (r) {
        submit.disabled = false;
        if (r.status === 201 || r.status === 200) {
          verified.booked = true;
          held = null;
          stopTicker();
          form.hidden = true;
          say(format(i18n.booked, r.data.reference));
          done.textContent = format(i18n.reference, r.data.reference);
          done.hidden = false;
          done.focus();
        } else if (r.status === 409) {
          lost(r.data.code === 'rp_hold_lost' ? i18n.expired : i18n.taken);
        } else if (r.status === 401) {
          verified = null;
          codeField.hidden = true;
          submit.textContent = i18n.sendCode;
          say(i18n.reverify);
        } else if (r.status === 429) {
          say(format(i18n.wait, r.retry || '60'));
        } else {
          say(i18n.error);
        }
        refresh();
      });
    }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (verified) {
        book();
        return;
      }
      if (codeField.hidden) {
        if (!email.checkValidity() || email.value === '') {
          say(i18n.badEmail);
          email.focus();
          return;
        }
        submit.disabled = true;
        call('POST', 'otp/request', { identity: email.value }).then(function (r) {
          submit.disabled = false;
          if (r.status === 202) {
            say(i18n.sent);
            codeField.hidden = false;
            submit.textContent = i18n.confirm;
            code.focus();
          } else {
            say(r.status === 429 ? format(i18n.wait, r.retry || '60') : i18n.error);
          }
        });
        return;
      }
      submit.disabled = true;
      call('POST', 'otp/verify', { identity: email.value, code: code.value.trim() }).then(function (r) {
        submit.disabled = false;
        if (r.status === 200 && r.data.token) {
          verified = { identity: email.value, token: r.data.token, booked: false };
          book();
        } else if (r.status === 429) {
          say(format(i18n.wait, r.retry || '60'));
        } else if (r.status === 400 || r.status === 401) {
          say(i18n.wrong);
          code.focus();
        } else {
          say(i18n.error);
        }
      });
    });
    date.addEventListener('change', function () {
      watch();
      refresh();
    });

    // Live updates: the event stream when there is one, else the heartbeat.
    var source = null;
    // One refetch per burst of events, after a random 0-300 ms.
    function refreshSoon() {
      if (pending) {
        return;
      }
      pending = setTimeout(function () {
        pending = null;
        refresh();
      }, Math.floor(Math.random() * 300));
    }
    function watch() {
      if (!config.events || !window.EventSource) {
        return;
      }
      if (source) {
        source.close();
      }
      var url = config.events + '?date=' + encodeURIComponent(date.value) + '&resource=' + encodeURIComponent(resource);
      source = new EventSource(url);
      source.addEventListener('slot', refreshSoon);
      source.onopen = function () { root.setAttribute('data-live', 'stream'); };
      source.onerror = function () {
        if (source.readyState === EventSource.CLOSED) {
          root.setAttribute('data-live', 'heartbeat');
        }
      };
    }
    watch();
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
