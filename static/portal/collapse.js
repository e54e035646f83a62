/* The navbar's menu button on narrow screens: the one piece of Bootstrap's JavaScript the portal
   used, redone here in a few lines instead of shipping Bootstrap's 80 KB bundle.

   Same markup and behaviour as Bootstrap's collapse plugin: a button with
   data-bs-toggle="collapse" and data-bs-target="#id" opens or closes that element, animating its
   height with Bootstrap's .collapsing class; aria-expanded and the button's .collapsed class
   follow. A click while the menu is moving is ignored, as Bootstrap does. */
(function () {
  "use strict";

  var moving = new WeakSet();

  function transitionMilliseconds(element) {
    var style = window.getComputedStyle(element);
    return (parseFloat(style.transitionDuration) + parseFloat(style.transitionDelay)) * 1000;
  }

  // Calls done() once the height transition has ended, or shortly after its computed duration
  // should transitionend not come (under reduced motion there is no transition). Never at once:
  // the caller sets the height the transition runs to after this call.
  function afterTransition(element, done) {
    var finished = false;
    function finish() {
      if (finished) return;
      finished = true;
      element.removeEventListener("transitionend", finish);
      done();
    }
    element.addEventListener("transitionend", finish);
    window.setTimeout(finish, transitionMilliseconds(element) + 5);
  }

  function show(target) {
    target.classList.remove("collapse");
    target.classList.add("collapsing");
    target.style.height = "0px";
    afterTransition(target, function () {
      target.classList.remove("collapsing");
      target.classList.add("collapse", "show");
      target.style.height = "";
      moving.delete(target);
    });
    target.style.height = target.scrollHeight + "px";
  }

  function hide(target) {
    target.style.height = target.getBoundingClientRect().height + "px";
    void target.offsetHeight; // reflow, so the height set above is where the transition starts
    target.classList.add("collapsing");
    target.classList.remove("collapse", "show");
    target.style.height = "";
    afterTransition(target, function () {
      target.classList.remove("collapsing");
      target.classList.add("collapse");
      moving.delete(target);
    });
  }

  document.addEventListener("click", function (event) {
    var toggler = event.target.closest('[data-bs-toggle="collapse"]');
    if (!toggler) return;
    var target = document.querySelector(toggler.getAttribute("data-bs-target"));
    if (!target || moving.has(target)) return;
    if (toggler.tagName === "A") event.preventDefault(); // a link toggles, it does not navigate
    moving.add(target);
    var opening = !target.classList.contains("show");
    toggler.setAttribute("aria-expanded", String(opening));
    toggler.classList.toggle("collapsed", !opening);
    if (opening) {
      show(target);
    } else {
      hide(target);
    }
  });
})();
