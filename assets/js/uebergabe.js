// The hand-off page: sends the form to the form provider at once, as the
// citizen already chose "Weiter zum Antragsformular". An enhancement only:
// without JavaScript the citizen presses "Weiter zum Antrag".
(function () {
  "use strict";
  var form = document.querySelector("form[data-auto-submit]");
  if (form) {
    form.submit();
  }
})();
