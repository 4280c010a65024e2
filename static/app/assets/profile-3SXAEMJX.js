import{a as o,g as u,i as c,k as l,o as p,p as m,v as g,x as f}from"./chunk-JG2AL5AS.js";import"./chunk-O2XFH626.js";var w=["image/png","image/jpeg","image/webp"],P=2*1024*1024;function E(s,e=40){let i=g(s);return s?.avatarUrl?o`<img class="avatar" src=${s.avatarUrl} alt="" width=${e} height=${e} />`:o`<span class="avatar initial" style="width:${e}px;height:${e}px;font-size:${e/2.2}px" aria-hidden="true">${i[0]?.toUpperCase()}</span>`}async function N(s){let e={me:await l("GET","/users/me"),saving:!1,error:null,uploading:!1,avatarError:null,password:null};function i(a){e.me=a,p(a)}async function v(a){a.preventDefault();let r=new FormData(a.target),t={displayName:String(r.get("displayName")).trim(),username:String(r.get("username")).trim(),bio:String(r.get("bio")),preferredLanguage:r.get("preferredLanguage")};t.username===e.me.username&&delete t.username,e.saving=!0,e.error=null,s.update();try{i(await l("PATCH","/users/me",t)),s.notify("Profile saved")}catch(d){e.error=d}e.saving=!1,s.update()}async function h(a){let r=a.target.files?.[0];if(a.target.value="",!!r){if(e.avatarError=null,w.includes(r.type)?r.size>P&&(e.avatarError="The image is over 2 MiB."):e.avatarError="Choose a PNG, JPEG or WebP image.",e.avatarError)return s.update();e.uploading=!0,s.update();try{let t=await l("POST","/users/me/avatar",{contentType:r.type,size:r.size}),d=await fetch(t.uploadUrl,{method:t.method,headers:t.headers,body:r});if(!d.ok){let $=await d.json().catch(()=>null);throw new Error($?.message||`the upload failed (${d.status})`)}i(await l("POST","/users/me/avatar/confirm",{key:t.key})),s.notify("Avatar updated")}catch(t){e.avatarError=t.message}e.uploading=!1,s.update()}}async function b(){try{await l("DELETE","/users/me/avatar"),i(await l("GET","/users/me"))}catch(a){e.avatarError=a.message}s.update()}async function y(a){a.preventDefault();let r=new FormData(a.target);try{await l("POST","/auth/change-password",{currentPassword:String(r.get("currentPassword")),newPassword:String(r.get("newPassword"))}),await c(u()?.token),e.password={done:!0},a.target.reset()}catch(t){e.password={error:t}}s.update()}let n=a=>e.error?.details?.[a]?o`<small class="error">${e.error.details[a]}</small>`:"";return{title:"Profile",render:()=>{let a=e.me;return o`<h1>Your profile</h1>
        <div class="columns">
          <section class="card" aria-labelledby="avatar-title">
            <h2 id="avatar-title">Avatar</h2>
            <div class="avatar-row">
              ${E(a,96)}
              <div>
                <label class="button" for="avatar-file">${e.uploading?"Uploading…":"Upload an image"}</label>
                <input id="avatar-file" class="visually-hidden" type="file" accept=${w.join(",")}
                  aria-label="Avatar image" ?disabled=${e.uploading} @change=${h} />
                ${a.avatarUrl?o`<button class="link" @click=${b}>Remove</button>`:""}
                <p class="muted small">PNG, JPEG or WebP, up to 2 MiB.</p>
              </div>
            </div>
            ${e.avatarError?o`<p class="error" role="alert">${e.avatarError}</p>`:""}
            <dl class="facts">
              <dt>Email</dt><dd>${a.email}</dd>
              <dt>Member since</dt><dd>${f(a.createdAt)}</dd>
              <dt>Sessions</dt><dd>${a.stats.totalSessions}</dd>
              <dt>Problems solved</dt><dd>${a.stats.problemsSolved}</dd>
              <dt>Streak</dt><dd>${a.stats.streakDays} days</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="details-title">
            <h2 id="details-title">Details</h2>
            <form @submit=${v}>
              <div class="field">
                <label for="profile-display">Display name</label>
                <input id="profile-display" name="displayName" maxlength="60" .value=${a.displayName||""} autocomplete="name" />
                ${n("displayName")}
              </div>
              <div class="field">
                <label for="profile-username">Username</label>
                <input id="profile-username" name="username" minlength="3" maxlength="30" .value=${a.username} autocomplete="username" required />
                ${n("username")}
              </div>
              <div class="field">
                <label for="profile-language">Preferred language</label>
                <select id="profile-language" name="preferredLanguage">
                  ${m.map(([r,t])=>o`<option value=${r} ?selected=${r===(a.preferredLanguage||"python")}>${t}</option>`)}
                </select>
              </div>
              <div class="field">
                <label for="profile-bio">Bio</label>
                <textarea id="profile-bio" name="bio" maxlength="500" rows="3" .value=${a.bio||""}></textarea>
                ${n("bio")}
              </div>
              ${e.error?o`<p class="error" role="alert">${e.error.message}</p>`:""}
              <button class="primary" type="submit" ?disabled=${e.saving}>${e.saving?"Saving…":"Save"}</button>
            </form>
          </section>
        </div>
        <section class="card" aria-labelledby="password-title">
          <h2 id="password-title">Change password</h2>
          <form class="row" @submit=${y}>
            <label class="visually-hidden" for="current-password">Current password</label>
            <input id="current-password" name="currentPassword" type="password" placeholder="Current password" autocomplete="current-password" required />
            <label class="visually-hidden" for="new-password">New password</label>
            <input id="new-password" name="newPassword" type="password" placeholder="New password (8+ characters)" minlength="8" autocomplete="new-password" required />
            <button type="submit">Change password</button>
          </form>
          ${e.password?.done?o`<p role="status">Password changed; your other devices were signed out.</p>`:""}
          ${e.password?.error?o`<p class="error" role="alert">${e.password.error.message}</p>`:""}
        </section>`}}}export{N as ProfileView,E as avatar};
