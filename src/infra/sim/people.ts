/** Fake people for the demo schools, drawn from the shared name lists with a seeded RNG. */
import { FEMALE_NAMES, MALE_NAMES, PATRONYMICS, SURNAMES, femalePatronymic, femaleSurname, type FakeName } from './names';
import { pick, type Rng } from './rng';

/** A full fake name of the given gender (surname and patronymic in the matching form). */
export function fakePersonName(rng: Rng, gender: 'm' | 'f'): FakeName {
  const sur = pick(rng, SURNAMES);
  const pat = pick(rng, PATRONYMICS);
  return gender === 'm'
    ? { familyName: sur, givenName: pick(rng, MALE_NAMES), middleName: pat, gender }
    : { familyName: femaleSurname(sur), givenName: pick(rng, FEMALE_NAMES), middleName: femalePatronymic(pat), gender };
}

/** 'Фамилия Имя Отчество'. */
export function fullName(p: FakeName): string {
  return `${p.familyName} ${p.givenName} ${p.middleName}`;
}
