import{a,c as S,d as z,e as p,f as C,g as c,h as R,i as E,j,k as f,o as I,r as P,v as g,x as N}from"./chunk-HPZ27WVB.js";import"./chunk-O2XFH626.js";function T(r,t){return t&&t!=="/"?`${r}?next=${encodeURIComponent(t)}`:r}function b(r){return r?.details&&typeof r.details=="object"?r.details:{}}function w(r){return r?a`<p class="error" role="alert">${r.message}</p>`:""}function m(r,t,e,d,i=""){let n=d[e.name];return a`<div class="field">
    <label for=${r}>${t}</label>
    <input id=${r} name=${e.name} type=${e.type||"text"} autocomplete=${e.autocomplete||"off"}
      ?required=${e.required!==!1} minlength=${e.minlength||0} maxlength=${e.maxlength||200}
      aria-invalid=${n?"true":"false"} aria-describedby=${n||i?`${r}-note`:""} />
    ${n||i?a`<small id="${r}-note" class=${n?"error":"muted"}>${n||i}</small>`:""}
  </div>`}function U(r){let t=g(r.query().get("next")),e={busy:!1,error:null};async function d(i){i.preventDefault();let n=new FormData(i.target);e.busy=!0,e.error=null,r.update();try{await E(String(n.get("identifier")).trim(),String(n.get("password"))),r.navigate(t,{replace:!0})}catch(o){e.error=o,e.busy=!1,r.update()}}return{title:"Sign in",render:()=>a`<section class="card auth">
      <h1>Sign in</h1>
      ${t!=="/"?a`<p class="muted">Sign in to continue where you were.</p>`:""}
      <form @submit=${d} novalidate>
        ${m("signin-identifier","Email or username",{name:"identifier",autocomplete:"username"},{})}
        ${m("signin-password","Password",{name:"password",type:"password",autocomplete:"current-password"},{})}
        ${w(e.error)}
        <button class="primary" type="submit" ?disabled=${e.busy}>${e.busy?"Signing in…":"Sign in"}</button>
      </form>
      <p><a href="/forgot-password">Forgot your password?</a></p>
      <p>New here? <a href=${T("/register",t)}>Create an account</a></p>
    </section>`}}function F(r){let t=g(r.query().get("next")),e={busy:!1,error:null};async function d(i){i.preventDefault();let n=new FormData(i.target),o={email:String(n.get("email")).trim(),username:String(n.get("username")).trim(),password:String(n.get("password"))},l=String(n.get("displayName")||"").trim();l&&(o.displayName=l),e.busy=!0,e.error=null,r.update();try{await R(o),r.navigate(t,{replace:!0})}catch(x){e.error=x,e.busy=!1,r.update()}}return{title:"Create an account",render:()=>{let i=b(e.error);return a`<section class="card auth">
        <h1>Create an account</h1>
        <form @submit=${d} novalidate>
          ${m("register-email","Email",{name:"email",type:"email",autocomplete:"email"},i)}
          ${m("register-username","Username",{name:"username",autocomplete:"username",minlength:3,maxlength:30},i,"3 to 30 letters, digits or _")}
          ${m("register-display","Display name (optional)",{name:"displayName",autocomplete:"name",required:!1,maxlength:60},i)}
          ${m("register-password","Password",{name:"password",type:"password",autocomplete:"new-password",minlength:8,maxlength:128},i,"At least 8 characters")}
          ${w(e.error)}
          <button class="primary" type="submit" ?disabled=${e.busy}>${e.busy?"Creating…":"Create account"}</button>
        </form>
        <p>Already registered? <a href=${T("/signin",t)}>Sign in</a></p>
      </section>`}}}function V(r){let t={busy:!1,error:null,sent:!1};async function e(d){d.preventDefault(),t.busy=!0,t.error=null,r.update();try{await c("POST","/auth/forgot-password",{email:String(new FormData(d.target).get("email")).trim()},{auth:!1}),t.sent=!0}catch(i){t.error=i}t.busy=!1,r.update()}return{title:"Forgot password",render:()=>a`<section class="card auth">
      <h1>Forgot your password?</h1>
      ${t.sent?a`<p role="status">If an account has this address, a mail with a link to choose a new password is on its way.
            The link works once, for 30 minutes.</p>`:a`<form @submit=${e} novalidate>
            ${m("forgot-email","Email",{name:"email",type:"email",autocomplete:"email"},b(t.error))}
            ${w(t.error)}
            <button class="primary" type="submit" ?disabled=${t.busy}>${t.busy?"Sending…":"Send the link"}</button>
          </form>`}
      <p><a href="/signin">Back to sign in</a></p>
    </section>`}}function A(r){let t=r.query().get("token")||"",e={busy:!1,error:null,done:!1};async function d(i){i.preventDefault();let n=new FormData(i.target),o=String(n.get("newPassword"));if(o!==String(n.get("repeat"))){e.error={message:"The two passwords differ.",details:{repeat:"does not match"}},r.update();return}e.busy=!0,e.error=null,r.update();try{await c("POST","/auth/reset-password",{token:t,newPassword:o},{auth:!1}),e.done=!0}catch(l){e.error=l}e.busy=!1,r.update()}return{title:"Choose a new password",render:()=>a`<section class="card auth">
      <h1>Choose a new password</h1>
      ${e.done?a`<p role="status">Your password has been changed; every device was signed out.</p>
            <p><a class="button primary" href="/signin">Sign in</a></p>`:t?a`<form @submit=${d} novalidate>
              ${m("reset-password","New password",{name:"newPassword",type:"password",autocomplete:"new-password",minlength:8,maxlength:128},b(e.error),"At least 8 characters")}
              ${m("reset-repeat","Repeat the new password",{name:"repeat",type:"password",autocomplete:"new-password",minlength:8,maxlength:128},b(e.error))}
              ${w(e.error)}
              ${e.error?.code==="INVALID_RESET_TOKEN"?a`<p><a href="/forgot-password">Ask for a new link</a></p>`:""}
              <button class="primary" type="submit" ?disabled=${e.busy}>${e.busy?"Saving…":"Save the new password"}</button>
            </form>`:a`<p class="error" role="alert">This link has no reset token. <a href="/forgot-password">Ask for a new link</a>.</p>`}
    </section>`}}function D(r,t){t=t.toUpperCase();let e={preview:null,error:null,busy:!1,joinError:null},d=`/join/${t}`;c("GET",`/rooms/lookup/${encodeURIComponent(t)}`,void 0,{auth:!1}).then(o=>{e.preview=o}).catch(o=>{e.error=o}).finally(r.update);async function i(o){e.busy=!0,e.joinError=null,r.update();try{let l={inviteCode:t};o&&(l.role=o);let x=await c("POST","/rooms/join",l);r.navigate(`/rooms/${x.id}`,{replace:!0})}catch(l){e.joinError=l,e.busy=!1,r.update()}}function n(){if(e.error){let l=e.error.status===404?"No open room has this invite code. Check the code or ask for a new link.":e.error.message;return a`<p class="error" role="alert">${l}</p><p><a href="/">Go home</a></p>`}let o=e.preview;return o?a`<dl class="facts">
        <dt>Room</dt><dd>${o.name||"Untitled room"}</dd>
        <dt>Problem</dt><dd>${o.problem?a`${o.problem.title} <span class="pill diff-${o.problem.difficulty}">${o.problem.difficulty}</span>`:"not chosen yet"}</dd>
        <dt>Host</dt><dd>${o.hostName}</dd>
        <dt>Mode</dt><dd>${o.mode==="ai"?"AI interviewer":"Peer interview"}</dd>
        <dt>Phase</dt><dd>${I[o.status]||o.status}</dd>
        <dt>People</dt><dd>${o.participantCount} of ${o.maxParticipants}</dd>
      </dl>
      ${o.joinable?"":a`<p class="error" role="alert">${o.status==="finished"?"This room has finished.":"This room is full."}</p>`}
      ${e.joinError?a`<p class="error" role="alert">${e.joinError.message}</p>`:""}
      ${p()?a`<div class="row">
            <button class="primary" ?disabled=${e.busy||!o.joinable} @click=${()=>i()}>${e.busy?"Joining…":"Join the room"}</button>
            <button ?disabled=${e.busy||!o.joinable} @click=${()=>i("observer")}>Watch as observer</button>
          </div>`:a`<p>To join, <a href="/signin?next=${encodeURIComponent(d)}">sign in</a> or
            <a href="/register?next=${encodeURIComponent(d)}">create an account</a>.</p>`}`:a`<p class="muted" role="status">Looking up the room…</p>`}return{title:"Join a room",render:()=>a`<section class="card auth">
      <h1>Join room <span class="invite-code">${t}</span></h1>
      ${n()}
    </section>`}}var y=document.getElementById("app");y.textContent="";var L=[{path:/^\/$/,view:N,auth:!0},{path:/^\/signin$/,view:U,guest:!0},{path:/^\/register$/,view:F,guest:!0},{path:/^\/forgot-password$/,view:V},{path:/^\/reset-password$/,view:A},{path:/^\/join\/([A-Za-z0-9]+)$/,view:D},{path:/^\/rooms\/([^/]+)$/,view:async(r,t)=>{let e=c("GET",`/rooms/${encodeURIComponent(t)}`);return e.catch(()=>{}),(await import("./room-QMNM6TAR.js")).RoomView(r,t,e)},auth:!0,wide:!0}],s={current:null,route:null,notice:null,navigate:u,update:h,notify(r,t="info"){s.notice={text:r,kind:t,at:Date.now()},h();let e=s.notice.at;setTimeout(()=>{s.notice?.at===e&&(s.notice=null,h())},6e3)},query:()=>new URLSearchParams(location.search)},v=!1;function h(){v||(v=!0,queueMicrotask(()=>{v=!1,k()}))}function u(r,{replace:t=!1}={}){r!==location.pathname+location.search&&history[t?"replaceState":"pushState"](null,"",r),$()}var q=0;async function $(){let r=++q,t=location.pathname,e=L.map(n=>[n,t.match(n.path)]).find(([,n])=>n);if(s.current?.destroy&&s.current.destroy(),s.current=null,!e)return s.route={wide:!1},s.current={title:"Not found",render:O},M();let[d,i]=e;if(d.auth&&!p())return u(`/signin?next=${encodeURIComponent(t+location.search)}`,{replace:!0});if(d.guest&&p())return u(g(s.query().get("next")),{replace:!0});s.route=d,p()&&f.start(),s.current={title:"Loading",render:()=>a`<p class="muted" role="status">Loading…</p>`},k();try{let n=await d.view(s,...i.slice(1).map(decodeURIComponent));if(r!==q)return n.destroy?.();s.current=n}catch(n){console.error(n),s.current={title:"Error",render:()=>a`<p class="error" role="alert">This page failed to load: ${n.message}</p>`}}M()}function M(){k(),document.title=s.current?.title?`${s.current.title} · SynCode`:"SynCode";let r=y.querySelector("main h1");r&&!y.contains(document.activeElement?.closest?.("main form"))&&(r.setAttribute("tabindex","-1"),r.focus({preventScroll:!0}))}function O(){return a`<h1>Page not found</h1><p>Nothing lives at this address. <a href="/">Go home</a>.</p>`}function J(){let r=p();return a`<header class="top">
    <a class="skip" href="#main">Skip to content</a>
    <a class="brand" href="/" aria-label="SynCode home">Syn<span>Code</span></a>
    <nav aria-label="Main">
      ${r?a`<a href="/">Home</a>
            <span class="me" title=${r.user.email}>${P(r.user)}</span>
            <button class="link" @click=${W}>Sign out</button>`:a`<a href="/signin">Sign in</a><a href="/register">Register</a>`}
    </nav>
  </header>`}async function W(){f.stop(),await j().catch(()=>{}),u("/signin")}function k(){let r=s.current;z(a`${J()}
      <main id="main" class=${s.route?.wide?"wide":"narrow"}>${r?r.render():S}</main>
      <div class="toast ${s.notice?"show "+s.notice.kind:""}" role="status" aria-live="polite">
        ${s.notice?.text||""}
      </div>`,y)}document.addEventListener("click",r=>{let t=r.target.closest?.("a[href]");if(!t||r.defaultPrevented||r.button!==0||r.metaKey||r.ctrlKey||r.shiftKey||r.altKey||t.target||t.hasAttribute("download"))return;let e=new URL(t.href,location.href);if(!(e.origin!==location.origin||e.pathname.startsWith("/api/"))){if(r.preventDefault(),e.hash&&e.pathname===location.pathname){document.getElementById(e.hash.slice(1))?.focus();return}u(e.pathname+e.search)}});window.addEventListener("popstate",$);C((r,t)=>{if(t==="expired"||t==="signed-out"){f.stop();let e=location.pathname+location.search;t==="expired"&&s.notify("Your session has expired. Please sign in again.","warn"),!location.pathname.startsWith("/signin")&&!location.pathname.startsWith("/register")&&!location.pathname.startsWith("/join/")&&!location.pathname.endsWith("-password")?u(`/signin?next=${encodeURIComponent(e)}`,{replace:!0}):h()}else f.start(),h()});$();
