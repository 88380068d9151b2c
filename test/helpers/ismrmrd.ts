/** Reading ISMRMRD files in tests, and our headers in the file's member names. */
import type { Acquisition } from '../../shared/ismrmrd.ts';
import { openIsmrmrd } from '../../recon/io/ismrmrd/reader.ts';
import { summarizeIsmrmrd } from '../../recon/io/ismrmrd/summary.ts';

/** Our header in the file's own member names, for a field-by-field comparison. */
export function asFileFields(a: Acquisition): Record<string, unknown> {
  const h = a.head;
  return {
    version: h.version,
    flags: String(h.flags),
    measurement_uid: h.measurementUid,
    scan_counter: h.scanCounter,
    acquisition_time_stamp: h.acquisitionTimeStamp,
    physiology_time_stamp: h.physiologyTimeStamp,
    number_of_samples: h.numberOfSamples,
    available_channels: h.availableChannels,
    active_channels: h.activeChannels,
    channel_mask: h.channelMask.map(String),
    discard_pre: h.discardPre,
    discard_post: h.discardPost,
    center_sample: h.centerSample,
    encoding_space_ref: h.encodingSpaceRef,
    trajectory_dimensions: h.trajectoryDimensions,
    sample_time_us: h.sampleTimeUs,
    position: h.position,
    read_dir: h.readDir,
    phase_dir: h.phaseDir,
    slice_dir: h.sliceDir,
    patient_table_position: h.patientTablePosition,
    idx: {
      kspace_encode_step_1: h.idx.kspaceEncodeStep1,
      kspace_encode_step_2: h.idx.kspaceEncodeStep2,
      average: h.idx.average,
      slice: h.idx.slice,
      contrast: h.idx.contrast,
      phase: h.idx.phase,
      repetition: h.idx.repetition,
      set: h.idx.set,
      segment: h.idx.segment,
      user: h.idx.user,
    },
    user_int: h.userInt,
    user_float: h.userFloat,
    traj_len: a.traj.length,
    data_len: a.data.length,
  };
}

/** Read everything through our reader, in small blocks to cross block edges. */
export async function readAll(file: string, blockSize: number) {
  const r = await openIsmrmrd(file);
  try {
    const acqs: Acquisition[] = [];
    for (const b of r.blocks({ blockSize })) acqs.push(...b.acquisitions);
    return { xml: r.xml, header: r.header, count: r.count, acqs, summary: summarizeIsmrmrd(r) };
  } finally {
    r.close();
  }
}

