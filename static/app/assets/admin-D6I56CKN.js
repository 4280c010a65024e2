import{a,g as A,k as u,s as v,x as p}from"./chunk-JG2AL5AS.js";import"./chunk-O2XFH626.js";var N=20,R=[["overview","Overview"],["users","Users"],["rooms","Rooms"],["audit","Audit log"]];function f(o,m){let e={rows:null,error:null,filters:{},cursors:[null],next:null,loading:!1};return e.load=async()=>{e.loading=!0,o.update();let n=new URLSearchParams({limit:String(N)});for(let[d,$]of Object.entries(e.filters))$&&n.set(d,$);let i=e.cursors[e.cursors.length-1];i&&n.set("cursor",i);try{let d=await u("GET",`${m}?${n}`);Object.assign(e,{rows:d.data,next:d.pagination.hasMore?d.pagination.nextCursor:null,error:null})}catch(d){e.error=d}e.loading=!1,o.update()},e.filter=n=>(e.filters=n,e.cursors=[null],e.load()),e.forward=()=>{e.cursors.push(e.next),e.load()},e.back=()=>{e.cursors.pop(),e.load()},e.nav=n=>a`<nav class="row pager" aria-label="${n} pages">
    <button ?disabled=${e.cursors.length<2||e.loading} @click=${e.back}>Previous</button>
    <span class="muted">Page ${e.cursors.length}</span>
    <button ?disabled=${!e.next||e.loading} @click=${e.forward}>Next</button>
  </nav>`,e.status=()=>e.error?a`<p class="error" role="alert">${e.error.message}</p>`:e.rows?e.rows.length?"":a`<p class="muted" role="status">Nothing matches.</p>`:a`<p class="muted" role="status">Loading…</p>`,e}var g=o=>(o.preventDefault(),Object.fromEntries([...new FormData(o.target)].map(([m,e])=>[m,String(e).trim()])));function F(o){let m=A().user.id,e={tab:o.query().get("tab")||"overview",stats:null,statsError:null},n=f(o,"/admin/users"),i=f(o,"/admin/rooms"),d=f(o,"/admin/audit-logs"),$=new Set,l=new Map,b=new Map;function T(t){let s=new Set(t.flatMap(r=>[r.actorId,r.targetType==="user"?r.targetId:null]).filter(Boolean));for(let r of s)b.has(r)||(b.set(r,null),u("GET",`/users/${encodeURIComponent(r)}`).then(c=>{b.set(r,c.username),o.update()}).catch(()=>{}))}let y=t=>b.get(t)?a`<span title=${t}>${b.get(t)}</span>`:t;async function S(t){if(l.has(t.id))l.delete(t.id);else{l.set(t.id,null),o.update();try{l.set(t.id,await u("GET",`/admin/users/${t.id}`))}catch(s){l.set(t.id,{error:s})}}o.update()}function x(t){let s=l.get(t.id),r=s?s.error?a`<p class="error" role="alert">${s.error.message}</p>`:a`<p>${s.counts.rooms} rooms · ${s.counts.sessions} sessions · ${s.counts.submissions} submissions ·
              display name ${s.profile.displayName||"–"}${s.banReason?a` · banned: ${s.banReason}`:""}</p>
            <ul class="small">${s.recentAudit.map(c=>a`<li>${p(c.createdAt)} <code>${c.action}</code></li>`)}</ul>`:a`<p class="muted" role="status">Loading…</p>`;return a`<tr class="detail"><td colspan="6" aria-label="Details of ${t.username}">${r}</td></tr>`}function w(t){e.tab=t,history.replaceState(null,"",t==="overview"?"/admin":`/admin?tab=${t}`),$.has(t)||($.add(t),t==="overview"?u("GET","/admin/stats").then(s=>{e.stats=s}).catch(s=>{e.statsError=s}).finally(o.update):{users:n,rooms:i,audit:d}[t].load()),o.update()}w(R.some(([t])=>t===e.tab)?e.tab:"overview");async function h(t,s){try{await t(),o.notify(s)}catch(r){o.notify(r.message,"error")}}async function E(t){let s=!t.bannedAt,r={banned:s};if(s){let c=prompt(`Ban ${t.username}? Reason (optional):`,"");if(c===null)return;c.trim()&&(r={banned:s,banReason:c.trim()})}await h(()=>u("PATCH",`/admin/users/${t.id}`,r),s?`${t.username} banned`:`${t.username} unbanned`),l.delete(t.id),n.load()}async function k(t,s){await h(()=>u("PATCH",`/admin/users/${t.id}`,{role:s}),`${t.username} is now ${s}`),n.load()}async function P(t){let s=prompt(`Close the room ${t.name||t.id}? Reason (optional):`,"");s!==null&&(await h(()=>u("POST",`/admin/rooms/${t.id}/close`,s.trim()?{reason:s.trim()}:{}),"Room closed"),i.load())}function I(){if(e.statsError)return a`<p class="error" role="alert">${e.statsError.message}</p>`;let t=e.stats;return t?a`<dl class="tiles">
      <div><dt>Users</dt><dd>${t.users.total}</dd></div>
      <div><dt>Active 24 h</dt><dd>${t.users.active24h}</dd></div>
      <div><dt>New 7 days</dt><dd>${t.users.newLast7d}</dd></div>
      <div><dt>Banned</dt><dd>${t.users.banned}</dd></div>
      <div><dt>Live rooms</dt><dd>${t.rooms.active}</dd></div>
      <div><dt>Rooms 24 h</dt><dd>${t.rooms.createdLast24h}</dd></div>
      <div><dt>Executions 24 h</dt><dd>${t.executions.last24h}</dd></div>
      <div><dt>Queued / running</dt><dd>${t.executions.queued} / ${t.executions.running}</dd></div>
      <div><dt>Mean latency</dt><dd>${t.executions.avgLatencyMs==null?"–":`${Math.round(t.executions.avgLatencyMs)} ms`}</dd></div>
      <div><dt>Sessions</dt><dd>${t.sessions.total}</dd></div>
      <div><dt>Sockets</dt><dd>${t.system.wsConnections}</dd></div>
      <div><dt>Version</dt><dd>${t.system.version}</dd></div>
    </dl>`:a`<p class="muted" role="status">Loading…</p>`}let M=t=>a`<tr>
    <td><button class="link" aria-expanded=${l.has(t.id)?"true":"false"} @click=${()=>S(t)}>${t.username}</button>
      <br /><span class="muted small">${t.email}</span></td>
    <td>
      <label class="visually-hidden" for="role-${t.id}">Role of ${t.username}</label>
      <select id="role-${t.id}" class="small" ?disabled=${t.id===m||t.deletedAt} @change=${s=>k(t,s.target.value)}>
        ${["user","admin"].map(s=>a`<option value=${s} ?selected=${t.role===s}>${s}</option>`)}
      </select>
    </td>
    <td>${t.deletedAt?a`<span class="pill">deleted</span>`:t.bannedAt?a`<span class="pill diff-hard" title=${t.banReason||""}>banned</span>`:a`<span class="pill diff-easy">active</span>`}</td>
    <td>${p(t.createdAt)}</td>
    <td>${p(t.lastActiveAt)}</td>
    <td>${t.id===m||t.deletedAt?"":a`<button class="small ${t.bannedAt?"":"danger"}" @click=${()=>E(t)}>${t.bannedAt?"Unban":"Ban"} ${t.username}</button>`}</td>
  </tr>${l.has(t.id)?x(t):""}`;function L(){return a`<form class="row filters" role="search" @submit=${t=>n.filter(g(t))}>
        <label class="visually-hidden" for="admin-user-search">Search users</label>
        <input id="admin-user-search" name="search" type="search" placeholder="Email or username" />
        <select name="status" aria-label="Status"><option value="">Any status</option><option>active</option><option>banned</option><option>deleted</option></select>
        <select name="role" aria-label="Role"><option value="">Any role</option><option>user</option><option>admin</option></select>
        <button type="submit">Filter</button>
      </form>
      ${n.status()}
      ${n.rows?.length?a`<div class="table-wrap"><table class="grid">
            <thead><tr><th>User</th><th>Role</th><th>Status</th><th>Joined</th><th>Last active</th><th></th></tr></thead>
            <tbody>${n.rows.map(M)}</tbody></table></div>`:""}
      ${n.nav("Users")}`}function C(){return a`<form class="row filters" @submit=${t=>i.filter(g(t))}>
        <select name="status" aria-label="Phase"><option value="">Any phase</option>
          ${Object.entries(v).map(([t,s])=>a`<option value=${t}>${s}</option>`)}</select>
        <select name="mode" aria-label="Mode"><option value="">Any mode</option><option value="peer">Peer</option><option value="ai">AI</option></select>
        <button type="submit">Filter</button>
      </form>
      ${i.status()}
      ${i.rows?.length?a`<div class="table-wrap"><table class="grid">
            <thead><tr><th>Room</th><th>Mode</th><th>Phase</th><th>People</th><th>Created</th><th></th></tr></thead>
            <tbody>${i.rows.map(t=>a`<tr>
              <td>${t.name||a`<span class="muted">untitled</span>`}<br /><span class="muted small">${t.id}</span></td>
              <td>${t.mode}</td><td>${v[t.status]||t.status}</td><td>${t.participantCount}</td><td>${p(t.createdAt)}</td>
              <td>${t.status==="finished"?"":a`<button class="small danger" @click=${()=>P(t)}>Close</button>`}</td>
            </tr>`)}</tbody></table></div>`:""}
      ${i.nav("Rooms")}`}function O(){return d.rows&&T(d.rows),a`<form class="row filters" role="search" @submit=${t=>d.filter(g(t))}>
        <label class="visually-hidden" for="audit-action">Action</label>
        <input id="audit-action" name="action" placeholder="Action, e.g. admin.user.banned" />
        <label class="visually-hidden" for="audit-actor">Actor id</label>
        <input id="audit-actor" name="actorId" placeholder="Actor id" />
        <label class="visually-hidden" for="audit-target">Target id</label>
        <input id="audit-target" name="targetId" placeholder="Target id" />
        <button type="submit">Filter</button>
      </form>
      ${d.status()}
      ${d.rows?.length?a`<div class="table-wrap"><table class="grid audit">
            <thead><tr><th>When</th><th>Action</th><th>Actor</th><th>Target</th><th>Details</th></tr></thead>
            <tbody>${d.rows.map(t=>a`<tr>
              <td>${p(t.createdAt)}</td><td><code>${t.action}</code></td>
              <td class="small">${t.actorId?y(t.actorId):"–"}${t.ip?a`<br /><span class="muted">${t.ip}</span>`:""}</td>
              <td class="small">${t.targetType} ${t.targetType==="user"?y(t.targetId):t.targetId}</td>
              <td class="small">${Object.keys(t.metadata||{}).length?JSON.stringify(t.metadata):""}</td>
            </tr>`)}</tbody></table></div>`:""}
      ${d.nav("Audit log")}`}let U={overview:I,users:L,rooms:C,audit:O};return{title:"Administration",render:()=>a`<h1>Administration</h1>
      <div class="tabs" role="tablist" aria-label="Administration">
        ${R.map(([t,s])=>a`<button role="tab" id="tab-${t}" aria-selected=${e.tab===t?"true":"false"}
          aria-controls="admin-panel" @click=${()=>w(t)}>${s}</button>`)}
      </div>
      <section class="card" id="admin-panel" role="tabpanel" aria-labelledby="tab-${e.tab}">${U[e.tab]()}</section>`}}export{F as AdminView};
