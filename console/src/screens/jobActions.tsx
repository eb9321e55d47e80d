import { api, ok } from "../api/client";
import type { Job } from "../api/types";
import { Action } from "../ui";

const FINISHED = ["completed", "completed_with_errors", "failed", "cancelled"];

export function finished(job: Job): boolean {
  return FINISHED.includes(job.status);
}

/** What can be done to a job now: prioritize (queued), cancel (queued, running, awaiting
 * confirmation), confirm (awaiting confirmation: the guard stopped it), re-run (failed). */
export function JobActions({ job, after }: { job: Job; after: () => void }) {
  const path = { path: { job_id: job.id } };
  return (
    <>
      {job.status === "queued" && (
        <Action label={`Prioritize job ${job.id.slice(0, 8)}`} run={() => ok(api.POST("/v1/jobs/{job_id}/prioritize", { params: path }))} done={() => "moved to the top of its queue"} after={after} />
      )}
      {job.status === "awaiting_confirmation" && (
        <Action
          label={`Confirm job ${job.id.slice(0, 8)}`}
          kind="primary"
          run={() => ok(api.POST("/v1/jobs/{job_id}/confirm", { params: path }))}
          done={() => "confirmed: it pushes now"}
          after={after}
        />
      )}
      {(job.status === "queued" || job.status === "running" || job.status === "awaiting_confirmation") && (
        <Action
          label={`Cancel job ${job.id.slice(0, 8)}`}
          kind="danger"
          confirm={`Cancel ${job.kind} job ${job.id.slice(0, 8)} on ${job.channel}? No push leaves after this.`}
          run={() => ok(api.POST("/v1/jobs/{job_id}/cancel", { params: path }))}
          done={() => "cancelled"}
          after={after}
        />
      )}
      {(job.status === "failed" || job.status === "completed_with_errors") && (
        <Action
          label={`Re-run job ${job.id.slice(0, 8)}`}
          run={() => ok<Job>(api.POST("/v1/jobs/{job_id}/rerun", { params: path }))}
          done={(r) => `re-run queued as ${(r as Job).id.slice(0, 8)}`}
          after={after}
        />
      )}
    </>
  );
}

export function jobTitle(job: Job): string {
  const mode = job.ran_as ?? job.mode;
  return `${job.kind.replace(/_/g, " ")}${mode ? ` ${mode}` : ""}${job.dry_run ? " (dry run)" : ""}`;
}
