import{b as N}from"./chunk-OY3S7MTJ.js";import"./chunk-BAH5JKSX.js";import{a as g}from"./chunk-FF7PHZC6.js";import{A as f,a as t,d as b,f as j,g as p,h as C,k as c,l as R,m as E,n as P,s as V,v as I}from"./chunk-JG2AL5AS.js";import"./chunk-O2XFH626.js";function T(e,a){return a&&a!=="/"?`${e}?next=${encodeURIComponent(a)}`:e}function w(e){return e?.details&&typeof e.details=="object"?e.details:{}}function y(e){return e?t`<p class="error" role="alert">${e.message}</p>`:""}function m(e,a,r,d,s=""){let i=d[r.name];return t`<div class="field">
    <label for=${e}>${a}</label>
    <input id=${e} name=${r.name} type=${r.type||"text"} autocomplete=${r.autocomplete||"off"}
      ?required=${r.required!==!1} minlength=${r.minlength||0} maxlength=${r.maxlength||200}
      aria-invalid=${i?"true":"false"} aria-describedby=${i||s?`${e}-note`:""} />
    ${i||s?t`<small id="${e}-note" class=${i?"error":"muted"}>${i||s}</small>`:""}
  </div>`}function U(e){let a=f(e.query().get("next")),r={busy:!1,error:null};async function d(s){s.preventDefault();let i=new FormData(s.target);r.busy=!0,r.error=null,e.update();try{await E(String(i.get("identifier")).trim(),String(i.get("password"))),e.navigate(a,{replace:!0})}catch(o){r.error=o,r.busy=!1,e.update()}}return{title:"Sign in",render:()=>t`<section class="card auth">
      <h1>Sign in</h1>
      ${a!=="/"?t`<p class="muted">Sign in to continue where you were.</p>`:""}
      <form @submit=${d} novalidate>
        ${m("signin-identifier","Email or username",{name:"identifier",autocomplete:"username"},{})}
        ${m("signin-password","Password",{name:"password",type:"password",autocomplete:"current-password"},{})}
        ${y(r.error)}
        <button class="primary" type="submit" ?disabled=${r.busy}>${r.busy?"Signing in…":"Sign in"}</button>
      </form>
      <p><a href="/forgot-password">Forgot your password?</a></p>
      <p>New here? <a href=${T("/register",a)}>Create an account</a></p>
    </section>`}}function A(e){let a=f(e.query().get("next")),r={busy:!1,error:null};async function d(s){s.preventDefault();let i=new FormData(s.target),o={email:String(i.get("email")).trim(),username:String(i.get("username")).trim(),password:String(i.get("password"))},l=String(i.get("displayName")||"").trim();l&&(o.displayName=l),r.busy=!0,r.error=null,e.update();try{await R(o),e.navigate(a,{replace:!0})}catch(v){r.error=v,r.busy=!1,e.update()}}return{title:"Create an account",render:()=>{let s=w(r.error);return t`<section class="card auth">
        <h1>Create an account</h1>
        <form @submit=${d} novalidate>
          ${m("register-email","Email",{name:"email",type:"email",autocomplete:"email"},s)}
          ${m("register-username","Username",{name:"username",autocomplete:"username",minlength:3,maxlength:30},s,"3 to 30 letters, digits or _")}
          ${m("register-display","Display name (optional)",{name:"displayName",autocomplete:"name",required:!1,maxlength:60},s)}
          ${m("register-password","Password",{name:"password",type:"password",autocomplete:"new-password",minlength:8,maxlength:128},s,"At least 8 characters")}
          ${y(r.error)}
          <button class="primary" type="submit" ?disabled=${r.busy}>${r.busy?"Creating…":"Create account"}</button>
        </form>
        <p>Already registered? <a href=${T("/signin",a)}>Sign in</a></p>
      </section>`}}}function F(e){let a={busy:!1,error:null,sent:!1};async function r(d){d.preventDefault(),a.busy=!0,a.error=null,e.update();try{await c("POST","/auth/forgot-password",{email:String(new FormData(d.target).get("email")).trim()},{auth:!1}),a.sent=!0}catch(s){a.error=s}a.busy=!1,e.update()}return{title:"Forgot password",render:()=>t`<section class="card auth">
      <h1>Forgot your password?</h1>
      ${a.sent?t`<p role="status">If an account has this address, a mail with a link to choose a new password is on its way.
            The link works once, for 30 minutes.</p>`:t`<form @submit=${r} novalidate>
            ${m("forgot-email","Email",{name:"email",type:"email",autocomplete:"email"},w(a.error))}
            ${y(a.error)}
            <button class="primary" type="submit" ?disabled=${a.busy}>${a.busy?"Sending…":"Send the link"}</button>
          </form>`}
      <p><a href="/signin">Back to sign in</a></p>
    </section>`}}function D(e){let a=e.query().get("token")||"",r={busy:!1,error:null,done:!1};async function d(s){s.preventDefault();let i=new FormData(s.target),o=String(i.get("newPassword"));if(o!==String(i.get("repeat"))){r.error={message:"The two passwords differ.",details:{repeat:"does not match"}},e.update();return}r.busy=!0,r.error=null,e.update();try{await c("POST","/auth/reset-password",{token:a,newPassword:o},{auth:!1}),r.done=!0}catch(l){r.error=l}r.busy=!1,e.update()}return{title:"Choose a new password",render:()=>t`<section class="card auth">
      <h1>Choose a new password</h1>
      ${r.done?t`<p role="status">Your password has been changed; every device was signed out.</p>
            <p><a class="button primary" href="/signin">Sign in</a></p>`:a?t`<form @submit=${d} novalidate>
              ${m("reset-password","New password",{name:"newPassword",type:"password",autocomplete:"new-password",minlength:8,maxlength:128},w(r.error),"At least 8 characters")}
              ${m("reset-repeat","Repeat the new password",{name:"repeat",type:"password",autocomplete:"new-password",minlength:8,maxlength:128},w(r.error))}
              ${y(r.error)}
              ${r.error?.code==="INVALID_RESET_TOKEN"?t`<p><a href="/forgot-password">Ask for a new link</a></p>`:""}
              <button class="primary" type="submit" ?disabled=${r.busy}>${r.busy?"Saving…":"Save the new password"}</button>
            </form>`:t`<p class="error" role="alert">This link has no reset token. <a href="/forgot-password">Ask for a new link</a>.</p>`}
    </section>`}}function M(e,a){a=a.toUpperCase();let r={preview:null,error:null,busy:!1,joinError:null},d=`/join/${a}`;c("GET",`/rooms/lookup/${encodeURIComponent(a)}`,void 0,{auth:!1}).then(o=>{r.preview=o}).catch(o=>{r.error=o}).finally(e.update);async function s(o){r.busy=!0,r.joinError=null,e.update();try{let l={inviteCode:a};o&&(l.role=o);let v=await c("POST","/rooms/join",l);e.navigate(`/rooms/${v.id}`,{replace:!0})}catch(l){r.joinError=l,r.busy=!1,e.update()}}function i(){if(r.error){let l=r.error.status===404?"No open room has this invite code. Check the code or ask for a new link.":r.error.message;return t`<p class="error" role="alert">${l}</p><p><a href="/">Go home</a></p>`}let o=r.preview;return o?t`<dl class="facts">
        <dt>Room</dt><dd>${o.name||"Untitled room"}</dd>
        <dt>Problem</dt><dd>${o.problem?t`${o.problem.title} <span class="pill diff-${o.problem.difficulty}">${o.problem.difficulty}</span>`:"not chosen yet"}</dd>
        <dt>Host</dt><dd>${o.hostName}</dd>
        <dt>Mode</dt><dd>${o.mode==="ai"?"AI interviewer":"Peer interview"}</dd>
        <dt>Phase</dt><dd>${V[o.status]||o.status}</dd>
        <dt>People</dt><dd>${o.participantCount} of ${o.maxParticipants}</dd>
      </dl>
      ${o.joinable?"":t`<p class="error" role="alert">${o.status==="finished"?"This room has finished.":"This room is full."}</p>`}
      ${r.joinError?t`<p class="error" role="alert">${r.joinError.message}</p>`:""}
      ${p()?t`<div class="row">
            <button class="primary" ?disabled=${r.busy||!o.joinable} @click=${()=>s()}>${r.busy?"Joining…":"Join the room"}</button>
            <button ?disabled=${r.busy||!o.joinable} @click=${()=>s("observer")}>Watch as observer</button>
          </div>`:t`<p>To join, <a href="/signin?next=${encodeURIComponent(d)}">sign in</a> or
            <a href="/register?next=${encodeURIComponent(d)}">create an account</a>.</p>`}`:t`<p class="muted" role="status">Looking up the room…</p>`}return{title:"Join a room",render:()=>t`<section class="card auth">
      <h1>Join room <span class="invite-code">${a}</span></h1>
      ${i()}
    </section>`}}var x=document.getElementById("app");x.textContent="";var L=[{path:/^\/$/,view:N,auth:!0},{path:/^\/signin$/,view:U,guest:!0},{path:/^\/register$/,view:A,guest:!0},{path:/^\/forgot-password$/,view:F},{path:/^\/reset-password$/,view:D},{path:/^\/join\/([A-Za-z0-9]+)$/,view:M},{path:/^\/problems$/,view:async e=>(await import("./problems-TBZLARCB.js")).ProblemsView(e),auth:!0},{path:/^\/problems\/([^/]+)$/,view:async(e,a)=>(await import("./problems-TBZLARCB.js")).ProblemView(e,a),auth:!0},{path:/^\/match$/,view:async e=>(await import("./matchmaking-W6URCBH4.js")).MatchmakingView(e),auth:!0},{path:/^\/profile$/,view:async e=>(await import("./profile-3SXAEMJX.js")).ProfileView(e),auth:!0},{path:/^\/admin$/,view:async e=>(await import("./admin-D6I56CKN.js")).AdminView(e),auth:!0,admin:!0},{path:/^\/sessions$/,view:async e=>(await import("./sessions-A6EX4GDS.js")).SessionsView(e),auth:!0},{path:/^\/sessions\/compare$/,view:async e=>(await import("./sessions-A6EX4GDS.js")).CompareView(e),auth:!0},{path:/^\/sessions\/([^/]+)$/,view:async(e,a)=>(await import("./report-VHCT5YTP.js")).SessionReportView(e,a),auth:!0},{path:/^\/rooms\/([^/]+)$/,view:async(e,a)=>{let r=c("GET",`/rooms/${encodeURIComponent(a)}`);return r.catch(()=>{}),(await import("./room-WPEOLSWZ.js")).RoomView(e,a,r)},auth:!0,wide:!0}],n={current:null,route:null,notice:null,navigate:u,update:h,notify(e,a="info"){n.notice={text:e,kind:a,at:Date.now()},h();let r=n.notice.at;setTimeout(()=>{n.notice?.at===r&&(n.notice=null,h())},6e3)},query:()=>new URLSearchParams(location.search)},k=!1;function h(){k||(k=!0,queueMicrotask(()=>{k=!1,z()}))}function u(e,{replace:a=!1}={}){e!==location.pathname+location.search&&history[a?"replaceState":"pushState"](null,"",e),S()}var q=0;async function S(){let e=++q,a=location.pathname,r=L.map(i=>[i,a.match(i.path)]).find(([,i])=>i);if(n.current?.destroy&&n.current.destroy(),n.current=null,!r)return n.route={wide:!1},n.current={title:"Not found",render:O},$();let[d,s]=r;if(d.auth&&!p())return u(`/signin?next=${encodeURIComponent(a+location.search)}`,{replace:!0});if(d.guest&&p())return u(f(n.query().get("next")),{replace:!0});if(d.admin&&p().user.role!=="admin")return n.route={wide:!1},n.current={title:"Not allowed",render:()=>t`<h1>Not allowed</h1><p>This page is for administrators. <a href="/">Go home</a>.</p>`},$();n.route=d,p()&&g.start(),n.current={title:"Loading",render:()=>t`<p class="muted" role="status">Loading…</p>`},z();try{let i=await d.view(n,...s.slice(1).map(decodeURIComponent));if(e!==q)return i.destroy?.();n.current=i}catch(i){console.error(i),n.current={title:"Error",render:()=>t`<p class="error" role="alert">This page failed to load: ${i.message}</p>`}}$()}function $(){z(),document.title=n.current?.title?`${n.current.title} · SynCode`:"SynCode";let e=x.querySelector("main h1");e&&!x.contains(document.activeElement?.closest?.("main form"))&&(e.setAttribute("tabindex","-1"),e.focus({preventScroll:!0}))}function O(){return t`<h1>Page not found</h1><p>Nothing lives at this address. <a href="/">Go home</a>.</p>`}function J(){let e=p();return t`<header class="top">
    <a class="skip" href="#main">Skip to content</a>
    <a class="brand" href="/" aria-label="SynCode home">Syn<span>Code</span></a>
    <nav aria-label="Main">
      ${e?t`<a href="/">Home</a>
            <a href="/problems">Problems</a>
            <a href="/match">Find a partner</a>
            <a href="/sessions">Sessions</a>
            ${e.user.role==="admin"?t`<a href="/admin">Admin</a>`:b}
            <a class="me" href="/profile" title="Your profile (${e.user.email})">${e.user.avatarUrl?t`<img class="avatar" src=${e.user.avatarUrl} alt="" width="24" height="24" />`:b}${I(e.user)}</a>
            <button class="link" @click=${W}>Sign out</button>`:t`<a href="/signin">Sign in</a><a href="/register">Register</a>`}
    </nav>
  </header>`}async function W(){g.stop(),await P().catch(()=>{}),u("/signin")}function z(){let e=n.current;j(t`${J()}
      <main id="main" class=${n.route?.wide?"wide":"narrow"}>${e?e.render():b}</main>
      <div class="toast ${n.notice?"show "+n.notice.kind:""}" role="status" aria-live="polite">
        ${n.notice?.text||""}
      </div>`,x)}document.addEventListener("click",e=>{let a=e.target.closest?.("a[href]");if(!a||e.defaultPrevented||e.button!==0||e.metaKey||e.ctrlKey||e.shiftKey||e.altKey||a.target||a.hasAttribute("download"))return;let r=new URL(a.href,location.href);if(!(r.origin!==location.origin||r.pathname.startsWith("/api/"))){if(e.preventDefault(),r.hash&&r.pathname===location.pathname){document.getElementById(r.hash.slice(1))?.focus();return}u(r.pathname+r.search)}});window.addEventListener("popstate",S);C((e,a)=>{if(a==="expired"||a==="signed-out"){g.stop();let r=location.pathname+location.search;a==="expired"&&n.notify("Your session has expired. Please sign in again.","warn"),!location.pathname.startsWith("/signin")&&!location.pathname.startsWith("/register")&&!location.pathname.startsWith("/join/")&&!location.pathname.endsWith("-password")?u(`/signin?next=${encodeURIComponent(r)}`,{replace:!0}):h()}else g.start(),h()});S();
