// The ballot page with JavaScript: the review happens on this device (no request), and "Send my
// ballot" encrypts and proves the ballot here (box-crypto.js) and posts only the CSRF token and
// the encrypted ballot's canonical JSON to the cast URL. Every request and response of the
// flow then has the same size whatever the marks. The tracker computed here is kept in this
// tab's sessionStorage, and the receipt page shows it next to the server's.
// Without JavaScript (or if this module cannot load) the form goes to the server's review page
// and the server encrypts on arrival. Texts come from the template (data- attributes).

import { boxOf, canonical, encryptBallot, tracker } from "./box-crypto.js";

const STORAGE_PREFIX = "evalapp-device-tracker-";

/** The tracker in groups of four, each kept whole when the line wraps (as receipt.html). */
function grouped(hex) {
  const nodes = [];
  hex.match(/.{1,4}/g).forEach((group, i) => {
    if (i) nodes.push("-", document.createElement("wbr"));
    const span = document.createElement("span");
    span.className = "tracker-group";
    span.textContent = group;
    nodes.push(span);
  });
  return nodes;
}

// ---------------------------------------------------------------- the ballot page

function ballotPage() {
  const form = document.getElementById("ballot-form");
  const data = document.getElementById("box-parameters");
  const review = document.getElementById("device-review");
  if (!form || !data || !review) return;
  let box;
  try {
    box = boxOf(JSON.parse(data.textContent));
  } catch (error) {
    return;  // the server's review and encryption still work
  }
  const lines = Array.from(form.querySelectorAll(".ballot-line"));
  const list = document.getElementById("review-list");
  const status = document.getElementById("device-status");
  const send = document.getElementById("cast-button");
  const change = document.getElementById("change-button");
  const intro = document.getElementById("ballot-intro");

  // Every line's radios in the order of the box's levels; otherwise leave it to the server.
  const ready = lines.length === box.params.lines && lines.every((line) => {
    const radios = line.querySelectorAll("input[type=radio]");
    return radios.length === box.params.levels.length && Array.from(radios).every(
      (radio, index) => radio.getAttribute("data-level") === box.params.levels[index]);
  });
  if (!ready) return;

  function choices() {
    return lines.map((line) => {
      const radios = Array.from(line.querySelectorAll("input[type=radio]"));
      return radios.findIndex((radio) => radio.checked);
    });
  }

  function show(reviewing) {
    form.hidden = reviewing;
    review.hidden = !reviewing;
    document.querySelectorAll("#ballot-errors, #cast-refused").forEach((el) => { el.hidden = true; });
    if (intro) intro.hidden = reviewing;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = choices();
    const unmarked = lines.filter((_line, j) => chosen[j] < 0);
    if (unmarked.length) {
      // As the server's answer says it: each empty line in red and in words ("Not marked yet",
      // tied to the line; app.js hides it once marked), the live counter above the button;
      // the first empty line gets focus. No request.
      unmarked.forEach((line) => {
        const note = line.querySelector(".unmarked-note");
        line.classList.add("border-danger", "line-unmarked");
        if (note) {
          note.hidden = false;
          line.setAttribute("aria-describedby", note.id);
        }
      });
      unmarked[0].scrollIntoView({ block: "center" });
      unmarked[0].querySelector("input[type=radio]").focus();
      return;
    }
    list.replaceChildren(...lines.map((line, j) => {
      const item = document.createElement("li");
      item.className = "list-group-item d-flex justify-content-between align-items-start";
      const who = document.createElement("div");
      who.className = "ms-2 me-auto";
      const legend = line.querySelector("legend").cloneNode(true);
      legend.querySelectorAll(".candidate-number").forEach((n) => n.remove());
      who.textContent = legend.textContent.trim();
      const post = document.createElement("div");
      post.className = "small text-body-secondary";
      post.textContent = line.querySelector("p.small").textContent.trim();
      who.append(post);
      const mark = document.createElement("span");
      mark.className = "fw-semibold";
      const radio = line.querySelectorAll("input[type=radio]")[chosen[j]];
      mark.textContent = line.querySelector(`label[for="${radio.id}"]`).textContent.trim();
      item.append(who, mark);
      return item;
    }));
    status.textContent = "";
    show(true);
    window.scrollTo(0, 0);
    document.getElementById("device-review-title").focus();
  });

  change.addEventListener("click", () => {
    show(false);
    const first = form.querySelector("input[type=radio]:checked") || form.querySelector("input");
    if (first) first.focus();
  });

  send.addEventListener("click", () => {
    send.disabled = true;
    change.disabled = true;
    status.textContent = review.getAttribute("data-encrypting");
    // Let the status paint before the (CPU-bound) encryption starts.
    setTimeout(() => {
      try {
        const ballot = encryptBallot(box.params, choices(), box.fingerprint);
        const text = canonical(ballot);
        try {
          sessionStorage.setItem(STORAGE_PREFIX + form.getAttribute("data-round"), tracker(ballot));
        } catch (error) { /* private mode: the receipt shows the server's tracker alone */ }
        const post = document.createElement("form");
        post.method = "post";
        post.action = form.getAttribute("data-cast-url");
        post.hidden = true;
        const token = document.createElement("input");
        token.type = "hidden";
        token.name = "csrf_token";
        token.value = form.querySelector("input[name=csrf_token]").value;
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = "ballot";
        field.value = text;
        // Fields the ballot carries to the cast (a ballot code's code, of a fixed length).
        const carried = Array.from(form.querySelectorAll("input[data-carry]")).map((input) => {
          const copy = document.createElement("input");
          copy.type = "hidden";
          copy.name = input.name;
          copy.value = input.value;
          return copy;
        });
        post.append(token, field, ...carried);
        document.body.append(post);
        post.submit();
      } catch (error) {
        status.textContent = review.getAttribute("data-failed");
        send.disabled = false;
        change.disabled = false;
      }
    }, 30);
  });
}

// ---------------------------------------------------------------- the receipt page

function receiptPage() {
  const box = document.getElementById("device-tracker");
  if (!box) return;
  let mine = null;
  try {
    mine = sessionStorage.getItem(STORAGE_PREFIX + box.getAttribute("data-round"));
  } catch (error) { return; }
  if (!mine || !/^[0-9a-f]{64}$/.test(mine)) return;
  const server = box.getAttribute("data-server");
  document.getElementById("device-tracker-value").replaceChildren(...grouped(mine));
  const verdict = document.getElementById("device-tracker-verdict");
  const matches = mine === server;
  verdict.textContent = verdict.getAttribute(matches ? "data-match" : "data-mismatch");
  verdict.classList.add(matches ? "text-success" : "text-danger");
  box.setAttribute("data-matches", matches ? "yes" : "no");
  box.hidden = false;
}

ballotPage();
receiptPage();
