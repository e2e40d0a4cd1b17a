// The code page: a QR code opens /code/#CODE. The fragment is never sent to the server; move it
// into the code field and take it out of the address bar and the history, so that the page
// can be shared or reloaded without showing the code.
const field = document.getElementById("code");
const fragment = decodeURIComponent(window.location.hash.slice(1));
if (field && fragment && !document.getElementById("code-refused")) {
  field.value = fragment.slice(0, 40);
  history.replaceState(null, "", window.location.pathname + window.location.search);
}
