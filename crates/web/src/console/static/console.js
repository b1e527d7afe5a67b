// crosscheck review console: keyboard shortcuts. Served as a file (CSP: no inline script).
//   queue page:  j / k move to the next / previous item, Enter opens it
//   item page:   j / k open the next / previous item, c confirms, r rejects
// Shortcuts are ignored while typing in a field and when a modifier key is held.
(function () {
  'use strict';

  function typing(target) {
    if (!target) return false;
    var tag = (target.tagName || '').toLowerCase();
    return tag === 'input' || tag === 'textarea' || tag === 'select' || target.isContentEditable;
  }

  function moveInQueue(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll('#queue a.item-link'));
    if (links.length === 0) return false;
    var at = links.indexOf(document.activeElement);
    var next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
    links.forEach(function (l) { l.closest('tr').classList.remove('selected'); });
    links[next].closest('tr').classList.add('selected');
    links[next].focus();
    return true;
  }

  function follow(rel) {
    var link = document.querySelector('a[rel="' + rel + '"]');
    if (link) { window.location.assign(link.href); return true; }
    return false;
  }

  function submit(id) {
    var form = document.getElementById(id);
    if (!form) return false;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    return true;
  }

  document.addEventListener('keydown', function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (typing(event.target)) return;
    var onQueue = document.getElementById('queue') !== null;
    var handled = false;
    switch (event.key) {
      case 'j': handled = onQueue ? moveInQueue(1) : follow('next'); break;
      case 'k': handled = onQueue ? moveInQueue(-1) : follow('prev'); break;
      case 'c': handled = submit('confirm'); break;
      case 'r': handled = submit('reject'); break;
      default: break;
    }
    if (handled) event.preventDefault();
  });
})();
