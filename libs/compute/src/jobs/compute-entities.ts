import { ComputeJob } from './entities/compute-job.entity.js';
import { ComputeOutput } from './entities/compute-output.entity.js';
import { OutputReview } from './entities/output-review.entity.js';
import { AirlockPolicy } from './entities/airlock-policy.entity.js';
import { ComputeJobMember } from './entities/job-member.entity.js';

export { ComputeJob, ComputeOutput, OutputReview, AirlockPolicy, ComputeJobMember };
export const COMPUTE_ENTITIES = [ComputeJob, ComputeOutput, OutputReview, AirlockPolicy, ComputeJobMember];
