// Sign-in, switching between the learner and staff views, and celebrations.

import { ApiError, api, clearSession, isLearnerToken, learnerPath, loadSession, saveSession } from "./api.js";
import { LearnerView } from "./learner.js";
import { StaffView } from "./staff.js";

const $ = (selector) => document.querySelector(selector);
let current = null;

function announce(text) {
  const region = $("#announcer");
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

function celebrate(achievements) {
  const toast = $("#celebration");
  const names = achievements.map((a) => `${a.name} (+${a.points} points)`).join(", ");
  toast.querySelector(".message").textContent =
    achievements.length === 1 ? `Achievement unlocked: ${names}` : `Achievements unlocked: ${names}`;
  toast.hidden = false;
  toast.dataset.count = String(Number(toast.dataset.count || 0) + achievements.length);
  clearTimeout(celebrate.timer);
  celebrate.timer = setTimeout(() => {
    toast.hidden = true;
  }, 10000);
}

function show(id) {
  for (const section of ["signin", "learner-view", "staff-view"]) $(`#${section}`).hidden = section !== id;
  const session = loadSession();
  $("#nav").hidden = !session;
  $("#nav-staff").hidden = !session || session.mode !== "staff";
  $("#nav-learner").hidden = !session || !session.learner;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === `#${id.replace("-view", "")}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function signOut(message) {
  if (current) current.destroy();
  current = null;
  clearSession();
  history.replaceState(null, "", location.pathname);
  show("signin");
  const error = $("#signin-error");
  error.textContent = message || "";
  error.hidden = !message;
  $("#credential").value = "";
  $("#credential").focus();
}

const expired = () => signOut("The credential was refused (expired or revoked); sign in again.");

async function route() {
  const session = loadSession();
  if (current) current.destroy();
  current = null;
  if (!session) {
    show("signin");
    return;
  }
  const want = location.hash === "#learner" || session.mode === "learner" ? "learner" : "staff";
  if (want === "learner" && session.learner) {
    show("learner-view");
    current = new LearnerView($("#learner-view"), session, session.learner, { onUnauthorized: expired, announce, celebrate });
  } else {
    show("staff-view");
    current = new StaffView($("#staff-view"), session, { onUnauthorized: expired });
  }
  await current.start();
  $("main").focus({ preventScroll: true });
}

async function signIn(event) {
  event.preventDefault();
  const credential = $("#credential").value.trim();
  const learner = $("#learner-id").value.trim() || null;
  const error = $("#signin-error");
  error.hidden = true;
  const learnerToken = isLearnerToken(credential);
  if (learnerToken && !learner) {
    error.textContent = "A learner token needs the learner's id.";
    error.hidden = false;
    $("#learner-id").focus();
    return;
  }
  const session = { credential, learner, mode: learnerToken ? "learner" : "staff" };
  try {
    await api(session, learner ? learnerPath(learner, "progress") : "/v1/catalog");
  } catch (failure) {
    const status = failure instanceof ApiError ? failure.status : 0;
    error.textContent =
      status === 401 ? "Stride does not know this key or token (or it expired)."
      : status === 403 ? "This credential may not read that learner."
      : status === 404 ? "Stride knows no such learner (or the tenant has no catalog)."
      : `Sign-in failed: ${failure.message}`;
    error.hidden = false;
    return;
  }
  saveSession(session);
  $("#credential").value = "";
  history.replaceState(null, "", learner ? "#learner" : "#staff");
  await route();
  announce(learner ? `Signed in; showing learner ${learner}.` : "Signed in; showing the staff view.");
}

function openLearner(event) {
  event.preventDefault();
  const id = $("#open-learner-id").value.trim();
  const session = loadSession();
  if (!id || !session) return;
  saveSession({ ...session, learner: id });
  if (location.hash === "#learner") route();
  else location.hash = "#learner";
}

$("#signin-form").addEventListener("submit", signIn);
$("#open-learner").addEventListener("submit", openLearner);
$("#sign-out").addEventListener("click", () => signOut(""));
$("#celebration-close").addEventListener("click", () => {
  $("#celebration").hidden = true;
});
window.addEventListener("hashchange", route);
route();
