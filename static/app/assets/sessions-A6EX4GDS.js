import{a as t,k as d,q as h,t as g,v as f,w as b,x as m}from"./chunk-JG2AL5AS.js";import"./chunk-O2XFH626.js";var v=20,y=10,k=2e3,u=[["correctness","Correctness"],["efficiency","Efficiency"],["codeQuality","Code quality"],["problemSolving","Problem solving"],["communication","Communication"]];function C(i){let s={list:[],cursor:null,hasMore:!0,loading:!1,error:null,picked:new Set,mode:""};async function l(){if(!(s.loading||!s.hasMore)){s.loading=!0,i.update();try{let e=new URLSearchParams({limit:String(v)});s.cursor&&e.set("cursor",s.cursor),s.mode&&e.set("mode",s.mode);let r=await d("GET",`/sessions?${e}`);s.list.push(...r.data),s.cursor=r.pagination.nextCursor,s.hasMore=r.pagination.hasMore}catch(e){s.error=e}finally{s.loading=!1,i.update()}}}l();function a(e){Object.assign(s,{list:[],cursor:null,hasMore:!0,error:null,mode:e.target.value}),s.picked.clear(),l()}function c(e,r){r?s.picked.add(e):s.picked.delete(e),i.update()}let p=()=>i.navigate(`/sessions/compare?ids=${[...s.picked].join(",")}`);function n(e){let r=e.participants.filter(o=>o.role!==e.myRole).map(f);return t`<li>
      <input type="checkbox" aria-label="Compare ${e.problem?.title||"this session"} of ${m(e.startedAt)}"
        .checked=${s.picked.has(e.id)} ?disabled=${!s.picked.has(e.id)&&s.picked.size>=y}
        @change=${o=>c(e.id,o.target.checked)} />
      <a href="/sessions/${e.id}">${e.problem?.title||"No problem"}</a>
      ${e.problem?t`<span class="pill diff-${e.problem.difficulty}">${e.problem.difficulty}</span>`:""}
      <span class="pill">${e.mode==="ai"?"AI":"peer"}</span>
      ${e.overallScore!=null?t`<span class="pill score-pill">score ${Math.round(e.overallScore)}</span>`:""}
      ${e.verdict?t`<span class=${e.verdict==="accepted"?"good":"bad"}>${g(e.verdict)}</span>`:""}
      <span class="muted">${m(e.startedAt)} · ${h(e.language)} · ${b(e.durationSec)} coding · you: ${e.myRole||"—"}
        ${r.length?` · with ${r.join(", ")}`:""}${e.finishedAt?"":" · in progress"}</span>
    </li>`}return{title:"My sessions",render:()=>t`<h1>My sessions</h1>
      <div class="row toolbar">
        <label class="inline">Mode <select @change=${a}>
          <option value="">all</option><option value="peer">peer</option><option value="ai">AI</option></select></label>
        <button class="primary" ?disabled=${s.picked.size<2} @click=${p}>Compare ${s.picked.size?`(${s.picked.size})`:""}</button>
        <span class="muted small">Pick 2 to ${y} sessions to compare their reports.</span>
      </div>
      ${s.error?t`<p class="error" role="alert">${s.error.message}</p>`:""}
      ${s.list.length?t`<ul class="rooms sessions">${s.list.map(n)}</ul>`:s.loading?t`<p class="muted" role="status">Loading…</p>`:t`<p class="muted">No sessions yet: a session is recorded from a room's warm-up to its finish.</p>`}
      ${s.hasMore&&s.list.length?t`<p><button ?disabled=${s.loading} @click=${l}>${s.loading?"Loading…":"Show more"}</button></p>`:""}`}}async function N(i){let s=(i.query().get("ids")||"").split(",").filter(Boolean),l=`/sessions/compare?ids=${encodeURIComponent(s.join(","))}`,a;try{a=await d("GET",l)}catch(o){return{title:"Compare",render:()=>t`<h1>Compare sessions</h1><p class="error" role="alert">${o.message}</p><p><a href="/sessions">My sessions</a></p>`}}let c=!0,p=null,n=()=>a.sessions.some(o=>o.reportStatus==="pending"),e=()=>{p=setTimeout(async()=>{try{a=await d("GET",l),i.update()}catch{}c&&n()&&e()},k)};n()&&e();let r=o=>o==null?"":t`<span class=${o>0?"good":o<0?"bad":"muted"}>${o>0?"+":""}${o}</span>`;return{title:"Compare sessions",render:()=>t`<p class="crumbs"><a href="/sessions">My sessions</a></p>
      <h1>Compare sessions</h1>
      ${n()?t`<p role="status">Some reports are still being made… <progress aria-label="Reports pending"></progress></p>`:""}
      <p>Trend: <strong class="trend">${a.trend}</strong></p>
      <div class="table-wrap"><table class="cases compare">
        <thead><tr><th scope="col">Session</th><th scope="col">Overall</th>${u.map(([,o])=>t`<th scope="col">${o}</th>`)}</tr></thead>
        <tbody>${a.sessions.map(o=>t`<tr>
          <th scope="row"><a href="/sessions/${o.sessionId}">${o.problem?.title||"No problem"}</a><br><span class="muted small">${m(o.startedAt)}</span></th>
          <td>${o.overallScore??t`<span class="muted">${o.reportStatus||"no report"}</span>`} ${r(o.deltas?.overall)}</td>
          ${u.map(([$])=>t`<td>${o.dimensions[$]??""} ${r(o.deltas?.[$])}</td>`)}
        </tr>`)}</tbody>
        <tfoot><tr><th scope="row">Change</th><td>${r(a.deltas.overall)}</td>
          ${u.map(([o])=>t`<td>${r(a.deltas[o])}</td>`)}</tr></tfoot>
      </table></div>`,destroy(){c=!1,clearTimeout(p)}}}export{N as CompareView,C as SessionsView};
