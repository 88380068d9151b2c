/**
 * SENSE parallel imaging: image-domain unfolding for regular Cartesian
 * undersampling with g-factor maps and SNR units (unfold.ts), and CG-SENSE
 * for any sampling pattern (cg-sense.ts). Coil maps: ../espirit.ts.
 */
export {
  senseUnfold, senseUnfoldWeights, applySenseWeights, snrUnits, SENSE_SUPPORT_EPS,
  type Accel, type SenseUnfoldOptions, type SenseUnfoldResult, type SenseWeights,
} from './unfold.ts';
export {
  senseOperator, dotProductTest, innerProduct, cgSense,
  type SenseOperator, type SamplingMask, type DotProductTest, type CgSenseOptions, type CgSenseResult,
} from './cg-sense.ts';
