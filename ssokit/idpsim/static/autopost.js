// Submits the SAML response form as soon as the page loads. The page also
// has a visible submit button for browsers without JavaScript.
(function () {
  var form = document.getElementById("autopost");
  if (form) {
    form.submit();
  }
})();
